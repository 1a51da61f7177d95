/**
 * The outbox relay when things go wrong, on the Firestore and Pub/Sub emulators: a publish the emulator
 * refuses (the topic does not exist yet), a batch of which only some records go out, and an outbox listener
 * that dies. Whatever fails stays pending and goes out later, in stream order; whatever went out is marked
 * done and not published again. (Each event document is its own outbox entry: its `pending` marker.)
 *
 * Each test has an emulator project of its own, so the outbox holds only its events.
 */
import { randomUUID } from 'node:crypto';
import { FieldPath, type Firestore } from '@google-cloud/firestore';
import { PubSub, type Message, type Topic } from '@google-cloud/pubsub';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENTS, FirestoreEventStore, PENDING } from '../src/firestore/firestoreEventStore.ts';
import { DEFAULT_STREAM_PARTITIONS } from '../src/firestore/partitions.ts';
import { OutboxRelay } from '../src/outbox/outboxRelay.ts';
import { committer } from './support/commits.ts';
import { withOutboxListeners } from './support/outboxListeners.ts';
import { recordingLogger } from './support/recordingLogger.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { customerDetailsChanged, customerRegistered, line, orderPlaced } from './support/shopFixtures.ts';

/** What a test sets up; closed after it. */
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setUp() {
  const projectId = uniqueProjectId('relay');
  const db = testFirestore(projectId);
  const pubsub = new PubSub({ projectId });
  cleanups.push(
    () => db.terminate(),
    () => pubsub.close(),
  );
  const store = new FirestoreEventStore(db);
  return {
    db,
    pubsub,
    /** A handle on a topic that does not exist until `create` is called. */
    topic: (messageOrdering = true) => pubsub.topic(`topic-${randomUUID().slice(0, 8)}`, { messageOrdering }),
    /** Commits events to a stream, each event its own outbox entry, as a command does. */
    commit: committer(store, { correlationId: 'relay-failures' }),
    /** The events in commit order: the stream and version of each, and whether it is still pending publication. */
    async outbox(): Promise<Array<{ stream: string; version: number; pending: boolean }>> {
      const events = await db.collectionGroup(EVENTS).orderBy('recordedAt').orderBy(FieldPath.documentId()).get();
      return events.docs.map((d) => ({
        stream: d.get('streamId') as string,
        version: d.get('version') as number,
        pending: d.get(PENDING) === true,
      }));
    },
  };
}

/** A pull subscription on the topic (created now, with ordering): every message it receives, in order. */
async function tap(topic: Topic): Promise<Array<{ orderingKey: string; attributes: Record<string, string> }>> {
  const [subscription] = await topic.createSubscription(`tap-${randomUUID().slice(0, 8)}`, { enableMessageOrdering: true });
  const received: Array<{ orderingKey: string; attributes: Record<string, string> }> = [];
  subscription.on('message', (message: Message) => {
    received.push({ orderingKey: message.orderingKey ?? '', attributes: message.attributes });
    message.ack();
  });
  cleanups.push(() => subscription.close());
  return received;
}

function relay(options: ConstructorParameters<typeof OutboxRelay>[0]): OutboxRelay {
  const created = new OutboxRelay(options);
  cleanups.push(() => created.stop());
  return created;
}

const PUBLISH_FAILED = 'outbox relay failed to publish; will retry';
const LISTENER_FAILED = 'outbox listener failed; polling instead';
const versionsOf = (received: Array<{ attributes: Record<string, string> }>, streamId: string) =>
  received.filter((m) => m.attributes.streamId === streamId).map((m) => Number(m.attributes.version));

describe('outbox relay: a publish that fails', () => {
  it('leaves the events pending, and the next attempt through the same topic handle publishes it, in stream order', async () => {
    const shop = setUp();
    const topic = shop.topic();
    const { logger } = recordingLogger();
    const outboxRelay = relay({ db: shop.db, topic, logger });
    const stream = `customer-${randomUUID()}`;
    await shop.commit(stream, [customerRegistered('c-1'), customerDetailsChanged('c-1', 'Ada', 'ada@example.com')]);

    // The topic does not exist: the emulator refuses the publish.
    await expect(outboxRelay.drain()).rejects.toMatchObject({ code: 5 }); // NOT_FOUND
    expect(await shop.outbox()).toEqual([
      { stream, version: 1, pending: true },
      { stream, version: 2, pending: true },
    ]);

    await topic.create();
    const received = await tap(topic);
    // Through the same topic handle, whose client paused the stream's ordering key when the publish failed.
    // (The relay resumes it; @google-cloud/pubsub 6.3 also drops a failed key's queue once it is empty, so
    // this cannot tell whether it did.)
    expect(await outboxRelay.drain()).toBe(2);
    expect(await shop.outbox()).toEqual([
      { stream, version: 1, pending: false },
      { stream, version: 2, pending: false },
    ]);
    await shop.commit(stream, [customerDetailsChanged('c-1', 'Ada L.', 'ada@example.com')]);
    expect(await outboxRelay.drain()).toBe(1);

    await vi.waitFor(() => expect(versionsOf(received, stream)).toEqual([1, 2, 3]), { timeout: 10_000, interval: 50 });
    expect(received.every((m) => m.orderingKey === stream)).toBe(true);
  });

  it('a started relay retries on its own, without a new commit to wake it, until the publish goes through', async () => {
    const shop = setUp();
    const topic = shop.topic();
    const { logger, messages } = recordingLogger();
    const stream = `customer-${randomUUID()}`;
    await shop.commit(stream, [customerRegistered('c-2')]);
    relay({ db: shop.db, topic, logger }).start();

    // It failed, and failed again a second later: a retry nobody asked for. (At least twice: a slow poll
    // here may see a third.)
    await vi.waitFor(() => expect(messages().filter((m) => m === PUBLISH_FAILED).length).toBeGreaterThanOrEqual(2), {
      timeout: 10_000,
      interval: 20,
    });
    expect(await shop.outbox()).toEqual([{ stream, version: 1, pending: true }]);

    await topic.create();
    await vi.waitFor(async () => expect(await shop.outbox()).toEqual([{ stream, version: 1, pending: false }]), {
      timeout: 10_000,
      interval: 50,
    });

    // And it is still listening: the next commit goes out by itself.
    const received = await tap(topic);
    await shop.commit(stream, [customerDetailsChanged('c-2', 'Grace', 'grace@example.com')]);
    await vi.waitFor(() => expect(versionsOf(received, stream)).toEqual([2]), { timeout: 10_000, interval: 50 });
    await vi.waitFor(async () => expect((await shop.outbox()).map((r) => r.pending)).toEqual([false, false]), {
      timeout: 10_000,
      interval: 50,
    });
  });
});

describe('outbox relay: a partly failed batch', () => {
  it('marks done what went out, keeps pending what did not, and publishes only that again', async () => {
    const shop = setUp();
    const domain = shop.topic();
    const integration = shop.topic();
    await domain.create();
    const domainReceived = await tap(domain);
    const { logger } = recordingLogger();
    const outboxRelay = relay({ db: shop.db, topic: domain, integrationTopic: integration, logger });

    // Two events: a registration (a domain event only) and an order (also an integration
    // event, whose topic does not exist yet).
    const customer = `customer-${randomUUID()}`;
    const orderId = randomUUID();
    const order = `order-${orderId}`;
    await shop.commit(customer, [customerRegistered('c-3')]);
    const [placed] = await shop.commit(order, [orderPlaced(orderId, 'c-3', [line('p-1', 2, 500)])]);

    await expect(outboxRelay.drain()).rejects.toMatchObject({ code: 5 }); // NOT_FOUND, for the integration topic
    expect(await shop.outbox()).toEqual([
      { stream: customer, version: 1, pending: false },
      { stream: order, version: 1, pending: true },
    ]);

    await integration.create();
    const integrationReceived = await tap(integration);
    // Only the order's event goes out again.
    expect(await outboxRelay.drain()).toBe(1);
    expect(await shop.outbox()).toEqual([
      { stream: customer, version: 1, pending: false },
      { stream: order, version: 1, pending: false },
    ]);

    // The order's domain event went out with each attempt (at least once, as projectors expect); its
    // integration event once, when its topic was there.
    await vi.waitFor(() => expect(versionsOf(domainReceived, order)).toEqual([1, 1]), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(integrationReceived.map((m) => m.attributes['ce-id'])).toEqual([placed!.eventId]), {
      timeout: 10_000,
      interval: 50,
    });
    expect(versionsOf(domainReceived, customer)).toEqual([1]);
  });
});

/**
 * Firestore itself, except that a listener on the outbox (the events collection group) fails as soon as it is opened (as one would when
 * the relay's service account lost its permission to listen): reads and writes all go to the emulator.
 */
function withFailingOutboxListener(db: Firestore): Firestore {
  return withOutboxListeners(db, (_query, _onNext, onError) => {
    setImmediate(() => onError(Object.assign(new Error('7 PERMISSION_DENIED: listen refused'), { code: 7 })));
    return () => {};
  });
}

describe('outbox relay: a listener that fails', () => {
  it('falls back to polling, and keeps publishing what is committed afterwards', async () => {
    const shop = setUp();
    const topic = shop.topic();
    await topic.create();
    const received = await tap(topic);
    const { logger, messages } = recordingLogger();
    const first = `customer-${randomUUID()}`;
    await shop.commit(first, [customerRegistered('c-4')]);

    relay({ db: withFailingOutboxListener(shop.db), topic, logger }).start();
    await vi.waitFor(() => expect(messages()).toContain(LISTENER_FAILED), { timeout: 5_000, interval: 20 });
    // What was pending when the listener died goes out...
    await vi.waitFor(() => expect(versionsOf(received, first)).toEqual([1]), { timeout: 10_000, interval: 50 });

    // ...and so does what is committed after that, with no listener to tell the relay about it.
    const later = `customer-${randomUUID()}`;
    await shop.commit(later, [customerRegistered('c-5')]);
    await shop.commit(first, [customerDetailsChanged('c-4', 'Ada', 'ada@example.com')]);
    await vi.waitFor(
      () => expect({ first: versionsOf(received, first), later: versionsOf(received, later) }).toEqual({ first: [1, 2], later: [1] }),
      {
        timeout: 10_000,
        interval: 50,
      },
    );
    await vi.waitFor(async () => expect((await shop.outbox()).map((r) => r.pending)).toEqual([false, false, false]), {
      timeout: 10_000,
      interval: 50,
    });
    // Each partition's listener failed once, and the relay did not keep reopening them.
    expect(messages().filter((m) => m === LISTENER_FAILED)).toHaveLength(DEFAULT_STREAM_PARTITIONS);
  });
});
