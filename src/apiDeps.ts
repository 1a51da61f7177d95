/**
 * The API's dependencies on Firestore and Pub/Sub, wired once for `startApi.ts` and the tests alike, so a
 * test pipeline runs exactly the production composition.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { TokenVerifier } from './auth/principal.ts';
import { loadConfig } from './config.ts';
import type { AnyProjection } from './core/projection.ts';
import { VersionedEventStore } from './core/versionedEventStore.ts';
import { FirestoreDeadLetterQueue, type RedriveTopic } from './firestore/firestoreDeadLetters.ts';
import { FirestoreEventStore } from './firestore/firestoreEventStore.ts';
import { FirestoreProjector } from './firestore/firestoreProjector.ts';
import type { FirestoreReadModels } from './firestore/firestoreReadModels.ts';
import { FirestoreReadYourWrites } from './firestore/firestoreReadYourWrites.ts';
import { FirestoreSnapshotStore } from './firestore/firestoreSnapshotStore.ts';
import { FirestoreTemporalReads } from './firestore/firestoreTemporalReads.ts';
import type { ApiDeps } from './graphql/context.ts';
import type { Logger } from './logger.ts';
import { FirestoreCustomerErasure } from './privacy/firestoreCustomerErasure.ts';
import { personalDataFromConfig, type PersonalData } from './privacy/personalDataFromConfig.ts';
import { shopEvents } from './shopEvents.ts';

export interface FirestoreApiOptions {
  readonly db: Firestore;
  /** Views and projection status; the caller keeps it to end its live streams at shutdown. */
  readonly readModels: FirestoreReadModels;
  readonly logger: Logger;
  /** Where redriven dead letters are republished. */
  readonly domainEventsTopic: RedriveTopic;
  readonly projections: readonly AnyProjection[];
  /** Verifies HTTP requests' tokens; `connectionTokens`, WebSocket connections' (with revocation checks). */
  readonly tokens: TokenVerifier;
  readonly connectionTokens?: TokenVerifier;
  /** When a read model with events pending counts as stalled in the `projections` query; default 120 (PROJECTION_STALL_SECONDS). */
  readonly stallAfterSeconds?: number;
  /** Seals and opens customers' personal data; default: built from the environment's config (the emulators' local key in tests). */
  readonly personalData?: PersonalData;
  /** Called after each append that committed events (the relay's nudge: OutboxRelay.nudge). */
  readonly onCommitted?: () => void;
}

/** PROJECTION_STALL_SECONDS' default (src/config.ts). */
const DEFAULT_STALL_AFTER_SECONDS = 120;

export function firestoreApiDeps(options: FirestoreApiOptions): ApiDeps {
  const { db, readModels, projections } = options;
  const storage = new FirestoreEventStore(db, options.onCommitted ? { onCommitted: options.onCommitted } : {});
  const personalData = options.personalData ?? personalDataFromConfig(loadConfig(), db);
  const { protection } = personalData;
  const projector = new FirestoreProjector(db, storage, shopEvents, protection);
  return {
    // Reads come back opened and at the current version of each event type; appends are checked, then sealed.
    store: new VersionedEventStore(storage, shopEvents, protection),
    snapshots: new FirestoreSnapshotStore(db),
    readModels,
    temporal: new FirestoreTemporalReads(db, async (event) => shopEvents.upcast(await protection.openEvent(event))),
    readYourWrites: new FirestoreReadYourWrites(projector),
    operations: {
      projections,
      status: readModels,
      stallAfterSeconds: options.stallAfterSeconds ?? DEFAULT_STALL_AFTER_SECONDS,
      deadLetters: new FirestoreDeadLetterQueue(db, { redriveTopic: options.domainEventsTopic, projector, projections }),
    },
    privacy: new FirestoreCustomerErasure({ db, keyRing: personalData.keyRing, protection, registry: shopEvents, logger: options.logger }),
    tokens: options.tokens,
    ...(options.connectionTokens ? { connectionTokens: options.connectionTokens } : {}),
    logger: options.logger,
    clock: () => new Date(),
    newId: randomUUID,
  };
}
