import type { Topic } from '@google-cloud/pubsub';
import type { AnyProjection } from '../core/projection.ts';
import type { ProjectionMonitor } from '../core/projectionStatus.ts';
import type { FirestoreDeadLetters } from '../firestore/firestoreDeadLetters.ts';
import type { FirestoreProjector } from '../firestore/firestoreProjector.ts';

/** What the admin operations (projection status, dead letters) need. */
export interface OperationsDeps {
  /** The read models the `projections` query reports on. */
  readonly projections: readonly AnyProjection[];
  readonly status: ProjectionMonitor;
  readonly projector: FirestoreProjector;
  readonly deadLetters: FirestoreDeadLetters;
  /** Where a redriven dead letter is republished. */
  readonly domainEventsTopic: Topic;
}
