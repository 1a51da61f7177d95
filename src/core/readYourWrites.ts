/**
 * The read-side port for read-your-writes: a mutation returns a consistency token (stream id and
 * version); a query or subscription that passes it waits, for a bounded time, until the read model's
 * projector has applied that version of that stream, and otherwise says it is still stale. The
 * Firestore adapter is src/firestore/firestoreReadYourWrites.ts.
 */
import type { AnyProjection } from './projection.ts';

export interface ConsistencyToken {
  readonly streamId: string;
  readonly version: number;
}

export type Consistency = { readonly reached: true } | { readonly reached: false; readonly checkpoint: number };

export interface ReadYourWrites {
  /** Resolves as soon as the projection has applied the token's stream version, or at the deadline with how far it got. */
  waitFor(projection: AnyProjection, token: ConsistencyToken, timeoutMs: number): Promise<Consistency>;
}
