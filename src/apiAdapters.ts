/**
 * The API's adapters to Google Cloud, which startApi.ts loads after the port is open (this module and what it
 * imports are most of the process's JavaScript: Firestore, gRPC, protobufs, Pub/Sub). Firestore first, since
 * queries wait for it; then Pub/Sub, which only the outbox relay, dead-letter redrives and the readiness check use.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub, Topic } from '@google-cloud/pubsub';
import { firestoreApiDeps } from './apiDeps.ts';
import type { TokenVerifier } from './auth/principal.ts';
import type { Config } from './config.ts';
import { createFirestore } from './firestore/createFirestore.ts';
import { FirestoreReadModels } from './firestore/firestoreReadModels.ts';
import { watchStreamPartitions } from './firestore/partitionLayout.ts';
import type { ApiDeps } from './graphql/context.ts';
import type { Logger } from './logger.ts';
import { OutboxRelay } from './outbox/outboxRelay.ts';
import { personalDataFromConfig } from './privacy/personalDataFromConfig.ts';
import { projections } from './projections/all.ts';

/** The Google Cloud clients the API talks through. */
export interface ApiClients {
  readonly db: Firestore;
  readonly pubsub: PubSub;
}

export interface ApiAdapters {
  readonly deps: ApiDeps;
  readonly db: Firestore;
  readonly readModels: FirestoreReadModels;
  /** The domain events topic, once Pub/Sub has loaded. */
  readonly domainEventsTopic: Promise<Topic>;
  /** Resolves once Pub/Sub has loaded and the outbox relay runs; rejects when it could not start. */
  readonly relayStarted: Promise<void>;
  /** Stops the relay (once it has started, if it is starting). */
  stopRelay(): Promise<void>;
  /** Closes the clients it created; clients it was given stay open for their owner to close. */
  closeClients(): Promise<void>;
}

export interface AdapterOptions {
  readonly logger: Logger;
  readonly tokens: TokenVerifier;
  readonly connectionTokens: TokenVerifier;
  /** Clients given here stay open for their owner to close. */
  readonly clients?: ApiClients;
  /** When a read model counts as stalled in the projections query (as on /readyz); default apiDeps.ts's. */
  readonly stallAfterSeconds?: number;
}

export function startAdapters(config: Config, options: AdapterOptions): ApiAdapters {
  const { logger } = options;
  const db = options.clients?.db ?? createFirestore(config.projectId);
  // A growth of the stream partitions is announced ahead: this instance's appends, merged reads and relay follow it.
  const layoutWatch = watchStreamPartitions(db, logger.child({ component: 'partition-layout' }));
  layoutWatch.catch(() => {});
  // Loaded only now, after Firestore: nothing a query does needs it.
  const pubsub: Promise<PubSub> = options.clients
    ? Promise.resolve(options.clients.pubsub)
    : import('@google-cloud/pubsub').then(({ PubSub }) => new PubSub({ projectId: config.projectId }));
  const domainEventsTopic = pubsub.then((client) => client.topic(config.domainEventsTopic, { messageOrdering: true }));

  // startApi has refused a configuration without a key-encryption key before listening.
  const personalData = personalDataFromConfig(config, db);
  const relay = Promise.all([pubsub, domainEventsTopic]).then(
    ([client, topic]) =>
      new OutboxRelay({
        db,
        topic,
        integrationTopic: client.topic(config.integrationEventsTopic, { messageOrdering: true }),
        logger: logger.child({ component: 'outbox-relay' }),
        openPersonalData: (events) => personalData.protection.open(events),
        // Every instance runs a relay; the leases make each partition's events go out through one of them.
        leases: config.outboxLeases,
        discovery: config.outboxDiscovery,
        catchUpIntervalMs: config.outboxCatchUpMs,
      }),
  );
  const relayStarted = relay.then((started) => started.start());
  // Then Cloud KMS's client, when the key-encryption key is there: the first personal data to open needs it.
  relayStarted.then(() => personalData.warmUp()).catch(() => {});

  // On the emulator, ordered live queries are cheaper asked whole (FirestoreReadModels' orderedQueries says why).
  const readModels = new FirestoreReadModels(db, {
    orderedQueries: config.emulators.firestore ? 'whole' : 'byPartition',
    rolledUpLive: config.rolledUpLive,
  });
  const deps = firestoreApiDeps({
    db,
    readModels,
    logger,
    // Only a redrive publishes: it waits for Pub/Sub if it comes first.
    domainEventsTopic: { publishMessage: async (message) => (await domainEventsTopic).publishMessage(message) },
    projections,
    tokens: options.tokens,
    connectionTokens: options.connectionTokens,
    personalData,
    // A polling relay (the emulators) looks at once after this instance commits; a listening one needs no telling,
    // so production's appends carry no callback.
    ...(config.outboxDiscovery.mode === 'poll'
      ? {
          onCommitted: () => {
            relay.then((started) => started.nudge()).catch(() => {});
          },
        }
      : {}),
    ...(options.stallAfterSeconds === undefined ? {} : { stallAfterSeconds: options.stallAfterSeconds }),
  });

  return {
    deps,
    db,
    readModels,
    domainEventsTopic,
    relayStarted,
    async stopRelay() {
      await (await relay.catch(() => null))?.stop();
    },
    async closeClients() {
      (await layoutWatch.catch(() => null))?.stop();
      if (!options.clients) await Promise.allSettled([db.terminate(), pubsub.then((client) => client.close())]);
    },
  };
}
