/**
 * The read-side port for how each projection is doing: where it is served from, how far it has got,
 * how far behind the event store it is, and what is stuck in its dead letters. The Firestore adapter
 * computes it from the checkpoints the projector writes anyway (src/firestore/firestoreProjectionStatus.ts).
 */
import type { AnyProjection } from './projection.ts';
import type { ProjectionHealth } from './projectionHealth.ts';

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly activeTarget: string;
  /** Streams this projection has applied events of. */
  readonly streams: number;
  /** occurredAt of the newest event it has applied. */
  readonly lastAppliedEventAt: string | null;
  /** occurredAt of the newest event in the store. */
  readonly latestEventAt: string | null;
  /** How far the newest applied event trails the newest stored one, in seconds (0 when caught up). */
  readonly lagSeconds: number;
  readonly pendingDeadLetters: number;
  readonly rebuilding: { readonly target: string; readonly mode: string; readonly processed: number } | null;
}

export interface ProjectionMonitor {
  /** The status of every given projection, all measured against one reading of the newest stored event. */
  projectionStatus(projections: readonly AnyProjection[]): Promise<ProjectionStatus[]>;

  /**
   * The same now, then whenever it changes, read every `intervalMs`. State-shaped: a consumer that
   * falls behind gets the latest statuses only.
   */
  watchProjectionStatus(projections: readonly AnyProjection[], intervalMs: number): AsyncIterableIterator<readonly ProjectionStatus[]>;

  /**
   * Whether each projection keeps up: its pending events and whether it is stalled, past `stallAfterSeconds`
   * (src/core/projectionHealth.ts; the same reading /readyz makes). A few more queries per projection than its status.
   */
  projectionHealth(projections: readonly AnyProjection[], options: { readonly stallAfterSeconds: number }): Promise<ProjectionHealth[]>;
}

/**
 * How far a projection trails the store, in seconds: from the newest event it applied to the newest
 * stored; with nothing applied yet, at least as far as the newest event is old. Never negative.
 */
export function lagSeconds(latestEventAt: string | null, lastAppliedEventAt: string | null, now: Date): number {
  if (!latestEventAt) return 0;
  const lagMs = lastAppliedEventAt ? Date.parse(latestEventAt) - Date.parse(lastAppliedEventAt) : now.getTime() - Date.parse(latestEventAt);
  return Math.max(0, lagMs / 1000);
}
