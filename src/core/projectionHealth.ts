/**
 * Whether each read model keeps up, as a high-water check (Marten's async daemon health check is the model):
 * a read model is stalled when an event of a type it reads has been waiting longer than a threshold to be
 * applied, that is, when its checkpoint stopped advancing while newer events exist. A read model that is
 * merely behind, or that has nothing to do (the newest events are of types it ignores), is not stalled.
 * The API reports it on /readyz, as the `eventloom.projection.stalled` metric and beside the lag.
 */

export interface ProjectionHealth {
  readonly name: string;
  /** How far it trails the store, in seconds of event time (as ProjectionStatus.lagSeconds). */
  readonly lagSeconds: number;
  /** Events of its types stored after the newest it applied, counted up to PENDING_COUNT_CAP. */
  readonly pendingEvents: number;
  /** occurredAt of the oldest of those events, or null when none is pending. */
  readonly oldestPendingAt: string | null;
  /** Pending for longer than the threshold. */
  readonly stalled: boolean;
  /** A running rebuild's progress (events processed), or null. */
  readonly rebuilding: { readonly target: string; readonly processed: number } | null;
}

/** Counting pending events stops here: beyond it the number says "far behind", not how far. */
export const PENDING_COUNT_CAP = 1_000;

/** Stalled: an event has been pending for longer than `stallAfterSeconds`. */
export function isStalled(oldestPendingAt: string | null, now: Date, stallAfterSeconds: number): boolean {
  return oldestPendingAt !== null && now.getTime() - Date.parse(oldestPendingAt) > stallAfterSeconds * 1000;
}
