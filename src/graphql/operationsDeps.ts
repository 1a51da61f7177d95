import type { Firestore } from '@google-cloud/firestore';
import type { Topic } from '@google-cloud/pubsub';
import type { AnyProjection } from '../core/projection.ts';
import type { FirestoreDeadLetters } from '../firestore/firestoreDeadLetters.ts';
import type { FirestoreProjector } from '../firestore/firestoreProjector.ts';

/** What the admin operations (projection status, dead letters) need. */
export interface OperationsDeps {
  readonly db: Firestore;
  readonly projections: readonly AnyProjection[];
  readonly projector: FirestoreProjector;
  readonly deadLetters: FirestoreDeadLetters;
  /** Where a redriven dead letter is republished. */
  readonly domainEventsTopic: Topic;
}
