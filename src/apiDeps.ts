/**
 * The API's dependencies on Firestore and Pub/Sub, wired once for `startApi.ts` and the tests alike, so a
 * test pipeline runs exactly the production composition.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { Topic } from '@google-cloud/pubsub';
import type { TokenVerifier } from './auth/principal.ts';
import type { AnyProjection } from './core/projection.ts';
import { VersionedEventStore } from './core/versionedEventStore.ts';
import { FirestoreDeadLetterQueue } from './firestore/firestoreDeadLetters.ts';
import { FirestoreEventStore } from './firestore/firestoreEventStore.ts';
import { FirestoreProjector } from './firestore/firestoreProjector.ts';
import type { FirestoreReadModels } from './firestore/firestoreReadModels.ts';
import { FirestoreReadYourWrites } from './firestore/firestoreReadYourWrites.ts';
import { FirestoreSnapshotStore } from './firestore/firestoreSnapshotStore.ts';
import { FirestoreTemporalReads } from './firestore/firestoreTemporalReads.ts';
import type { ApiDeps } from './graphql/context.ts';
import type { Logger } from './logger.ts';
import { shopEvents } from './shopEvents.ts';

export interface FirestoreApiOptions {
  readonly db: Firestore;
  /** Views and projection status; the caller keeps it to end its live streams at shutdown. */
  readonly readModels: FirestoreReadModels;
  readonly logger: Logger;
  /** Where redriven dead letters are republished. */
  readonly domainEventsTopic: Topic;
  readonly projections: readonly AnyProjection[];
  /** Verifies HTTP requests' tokens; `connectionTokens`, WebSocket connections' (with revocation checks). */
  readonly tokens: TokenVerifier;
  readonly connectionTokens?: TokenVerifier;
}

export function firestoreApiDeps(options: FirestoreApiOptions): ApiDeps {
  const { db, readModels, projections } = options;
  const storage = new FirestoreEventStore(db);
  const projector = new FirestoreProjector(db, storage, shopEvents);
  return {
    // Reads come back at the current version of each event type; appends are checked against it.
    store: new VersionedEventStore(storage, shopEvents),
    snapshots: new FirestoreSnapshotStore(db),
    readModels,
    temporal: new FirestoreTemporalReads(db, (event) => shopEvents.upcast(event)),
    readYourWrites: new FirestoreReadYourWrites(projector),
    operations: {
      projections,
      status: readModels,
      deadLetters: new FirestoreDeadLetterQueue(db, { redriveTopic: options.domainEventsTopic, projector, projections }),
    },
    tokens: options.tokens,
    ...(options.connectionTokens ? { connectionTokens: options.connectionTokens } : {}),
    logger: options.logger,
    clock: () => new Date(),
    newId: randomUUID,
  };
}
