import type { DeadLetterQueue } from '../core/deadLetters.ts';
import type { AnyProjection } from '../core/projection.ts';
import type { ProjectionMonitor } from '../core/projectionStatus.ts';

/** What the admin operations (projection status, dead letters) need. */
export interface OperationsDeps {
  /** The read models the `projections` query reports on. */
  readonly projections: readonly AnyProjection[];
  readonly status: ProjectionMonitor;
  /** When a read model with events pending counts as stalled (PROJECTION_STALL_SECONDS), as /readyz counts it. */
  readonly stallAfterSeconds: number;
  /** Listed, redriven (republished to the domain events topic) and skipped. */
  readonly deadLetters: DeadLetterQueue;
}
