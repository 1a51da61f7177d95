/**
 * Read-your-writes: a mutation returns a consistency token (stream id and version); a query or
 * subscription that passes it waits, for a bounded time, until the read model's projector has applied
 * that version of that stream, and otherwise says it is still stale.
 */
import type { AnyProjection } from '../core/projection.ts';
import type { FirestoreProjector } from './firestoreProjector.ts';

export interface ConsistencyToken {
  readonly streamId: string;
  readonly version: number;
}

export type Consistency = { readonly reached: true } | { readonly reached: false; readonly checkpoint: number };

export class ReadYourWrites {
  /** The projector whose checkpoints say what each read model has applied. */
  constructor(private readonly projector: FirestoreProjector) {}

  /** Resolves as soon as the projection's checkpoint for the stream reaches the version, or at the deadline. */
  async waitFor(projection: AnyProjection, token: ConsistencyToken, timeoutMs: number): Promise<Consistency> {
    const ref = this.projector.checkpointRef(await this.projector.activeTarget(projection), token.streamId);
    return new Promise<Consistency>((resolve) => {
      let checkpoint = 0;
      let settled = false;
      const finish = (result: Consistency) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        resolve(result);
      };
      const timer = setTimeout(() => finish({ reached: false, checkpoint }), timeoutMs);
      const unsubscribe = ref.onSnapshot(
        (snapshot) => {
          checkpoint = (snapshot.get('version') as number | undefined) ?? 0;
          if (checkpoint >= token.version) finish({ reached: true });
        },
        () => finish({ reached: false, checkpoint }),
      );
    });
  }
}
