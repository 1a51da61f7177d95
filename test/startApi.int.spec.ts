/**
 * startApi's close(), in-process on the emulators: the shutdown that SIGTERM starts in src/main.ts (whose
 * process test/apiShutdown.e2e.spec.ts spawns) completes SSE and WebSocket subscriptions, closes the sockets
 * with 1001, stops the outbox relay, leaving what is committed afterwards to the next instance's relay, and
 * stops accepting connections.
 */
import { randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { EVENTS, FirestoreEventStore, PENDING } from '../src/firestore/firestoreEventStore.ts';
import { DEFAULT_STREAM_PARTITIONS } from '../src/firestore/partitions.ts';
import { RELAY_LEASES } from '../src/outbox/partitionLeases.ts';
import { createLogger } from '../src/logger.ts';
import { OutboxRelay } from '../src/outbox/outboxRelay.ts';
import { startApi, type RunningApi } from '../src/startApi.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { productView, writeProductView } from './support/liveApi.ts';
import { openSse, openWs } from './support/rawStreams.ts';
import { productAdded } from './support/shopFixtures.ts';

const PRODUCT = /* GraphQL */ `subscription ($id: ID!) { productInventory(productId: $id) { id available } }`;

const projectId = uniqueProjectId('start-api');
// The relay as deployed: listening (the emulators' default is to poll, OUTBOX_DISCOVERY).
const config: Config = {
  ...loadConfig({ ...process.env, GOOGLE_CLOUD_PROJECT: projectId, LOG_LEVEL: 'silent', OUTBOX_DISCOVERY: 'listen' }),
  port: 0,
};
// The API's clients, given to it so that the test can see what it leaves behind; the test closes them.
const db = testFirestore(projectId);
const pubsub = new PubSub({ projectId });
const logger = createLogger({ level: 'silent' });
let api: RunningApi | undefined;

/** Firestore listeners the client library holds open (not in its typings): the relay's and the live streams'. */
const listeners = () => (db as unknown as { registeredListenersCount: number }).registeredListenersCount;
const pendingEvents = async () => (await db.collectionGroup(EVENTS).where(PENDING, '==', true).get()).size;

/** Commits a ProductAdded (marked pending publication), as a command would. */
async function addProduct(productId: string): Promise<void> {
  const now = new Date().toISOString();
  await new FirestoreEventStore(db).appendToStreams([
    {
      streamId: `product-${productId}`,
      expectedVersion: 0,
      events: [
        {
          eventId: randomUUID(),
          ...productAdded(productId, 1000, 3),
          occurredAt: now,
          metadata: { correlationId: randomUUID(), causationId: null },
        },
      ],
    },
  ]);
}

beforeAll(async () => {
  await Promise.all([pubsub.createTopic(config.domainEventsTopic), pubsub.createTopic(config.integrationEventsTopic)]);
  api = await startApi(config, { clients: { db, pubsub }, logger });
});

afterAll(async () => {
  await api?.close();
  await pubsub.close();
  await db.terminate();
});

describe('startApi', () => {
  it('close() completes SSE and WebSocket subscriptions, stops the relay and stops accepting', { timeout: 60_000 }, async () => {
    const { port } = api!;
    const graphqlUrl = `http://127.0.0.1:${port}/graphql`;

    // The relay runs: what is committed gets published and its outbox marker cleared.
    await addProduct(`p-${randomUUID()}`);
    await vi.waitFor(async () => expect(await pendingEvents()).toBe(0), { timeout: 20_000, interval: 50 });
    // Alone, the relay claims every partition's lease, and listens to each partition; and the instance listens to
    // the partition layout, for a growth announced while it runs.
    await vi.waitFor(() => expect(listeners()).toBe(DEFAULT_STREAM_PARTITIONS + 1), { timeout: 20_000, interval: 50 });

    const productId = `p-${randomUUID()}`;
    await writeProductView(db, productView(productId, { available: 3 }));
    const sse = openSse(graphqlUrl, PRODUCT, { id: productId });
    const ws = await openWs(`ws://127.0.0.1:${port}/graphql`);
    ws.subscribe('live', PRODUCT, { id: productId });
    await sse.waitFor((e) => e.event === 'next');
    await ws.waitFor((m) => m.type === 'next' && m.id === 'live');
    // The relay's listeners (one per partition), the layout's, and one on the product's view shared by both
    // subscriptions.
    expect(listeners()).toBe(DEFAULT_STREAM_PARTITIONS + 2);

    await api!.close();

    // SSE: the stream sent `complete` and ended.
    await sse.ended;
    expect(sse.events().map((e) => e.event)).toEqual(['next', 'complete']);
    // WebSocket: the subscription completed, then the socket closed with 1001 (going away).
    expect(await ws.closed).toBe(1001);
    expect(ws.messages.map((m) => [m.type, m.id])).toEqual([
      ['connection_ack', undefined],
      ['next', 'live'],
      ['complete', 'live'],
    ]);

    // The relay has stopped: no listener is left, neither its own nor the live streams' nor the layout's...
    expect(listeners()).toBe(0);
    // ...and it handed its partitions back, for the other instances' relays to take at once...
    const leases = await db.collection(RELAY_LEASES).get();
    expect(leases.docs.map((lease) => lease.get('owner'))).toEqual(Array.from({ length: DEFAULT_STREAM_PARTITIONS }, () => null));
    // ...so an event committed now waits, marked pending, for the next instance's relay, which publishes it.
    await addProduct(`p-${randomUUID()}`);
    const nextRelay = new OutboxRelay({
      db,
      topic: pubsub.topic(config.domainEventsTopic, { messageOrdering: true }),
      integrationTopic: pubsub.topic(config.integrationEventsTopic, { messageOrdering: true }),
      logger,
    });
    expect(await nextRelay.drain()).toBe(1);

    // No new connections.
    await expect(fetch(`${graphqlUrl}?query=${encodeURIComponent('{__typename}')}`)).rejects.toThrow();
    // A second close() is the first one.
    await expect(api!.close()).resolves.toBeUndefined();
  });
});
