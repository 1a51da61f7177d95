/**
 * The outbox relay in steady state, on the Firestore and Pub/Sub emulators: it publishes what its listener
 * delivered instead of querying for it again. Once the catch-up query at start has found the outbox empty,
 * every event committed afterwards is read once (by the listener) and published once, in stream order, however
 * the commits interleave with publishes in flight and with the listener's results that still show the events
 * the relay itself just published (until its marker deletions reach the listener). A relay that starts on a full
 * outbox, or whose publish failed, looks with the catch-up query instead, and goes back to its listener after.
 * As a safety net it also runs the catch-up query every `catchUpIntervalMs`: an event its listener never reports
 * goes out all the same, once, with a warning.
 *
 * On the emulators the relay polls instead (OutboxDiscovery): one query over every partition a round, each
 * partition's share handed to its publisher, with the same guarantees: each event once, in stream order, a full
 * page sending the publishers to their own catch-up queries, and relays sharing partitions through leases.
 *
 * Counted at the relay's own Firestore client with the capacity bench's gRPC interceptor
 * (bench/firestoreOperations.ts): what production would bill, request by request.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FieldPath, type Firestore, type QueryDocumentSnapshot, type QuerySnapshot } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FirestoreOperationCounter } from '../bench/firestoreOperations.ts';
import { interceptFirestoreCalls } from '../src/firestore/createFirestore.ts';
import { EVENTS, FirestoreEventStore, PENDING } from '../src/firestore/firestoreEventStore.ts';
import { DEFAULT_STREAM_PARTITIONS, StreamPartitions } from '../src/firestore/partitions.ts';
import { createLogger } from '../src/logger.ts';
import { OutboxRelay, type OutboxRelayOptions } from '../src/outbox/outboxRelay.ts';
import { committer } from './support/commits.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { withOutboxListeners } from './support/outboxListeners.ts';
import { recordingLogger } from './support/recordingLogger.ts';
import { tappedTopic } from './support/topicTap.ts';
import { customerDetailsChanged, customerRegistered, line, orderPlaced } from './support/shopFixtures.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * With `integration`, the relay also publishes to an integration topic that does not exist until the test creates
 * it; `relay` adds to the relay's options (the emulators' poll, a small batch, leases); the relay's listeners never
 * report the events of the stream `listenerMisses` (withListenerThatMisses).
 */
async function setUp({
  integration = false,
  relay: relayOptions = {},
  listenerMisses,
  listenerRepeats = false,
}: {
  integration?: boolean;
  relay?: Partial<OutboxRelayOptions>;
  listenerMisses?: string;
  listenerRepeats?: boolean;
} = {}) {
  const projectId = uniqueProjectId('relay-reads');
  const pubsub = new PubSub({ projectId });
  // The relay's client alone is counted: the test's own commits and checks go through one created before the
  // interceptor was (a client looks up the interceptors at each call, but only one created while there are any
  // asks).
  const db = testFirestore(projectId);
  const counter = new FirestoreOperationCounter((operation) => operation.rpc);
  const stopCounting = interceptFirestoreCalls(counter.interceptor);
  const relayDb = testFirestore(projectId);
  cleanups.push(
    async () => stopCounting(),
    () => db.terminate(),
    () => relayDb.terminate(),
    () => pubsub.close(),
  );
  const relayFirestore = listenerMisses
    ? withListenerThatMisses(relayDb, (doc) => doc.get('streamId') === listenerMisses)
    : listenerRepeats
      ? withListenerThatRepeats(relayDb)
      : relayDb;
  const { topic, received, close } = await tappedTopic(pubsub);
  cleanups.push(close);
  const integrationTopic = pubsub.topic(`integration-${randomUUID().slice(0, 8)}`, { messageOrdering: true });
  const newRelay = () =>
    new OutboxRelay({
      db: relayFirestore,
      topic,
      ...(integration ? { integrationTopic } : {}),
      logger: createLogger({ level: 'silent' }),
      ...relayOptions,
    });
  const relay = newRelay();
  cleanups.push(() => relay.stop());
  return {
    db,
    relay,
    /** Another relay on the same outbox and topic, stopped with the test. */
    anotherRelay: () => {
      const another = newRelay();
      cleanups.push(() => another.stop());
      return another;
    },
    counter,
    received,
    integrationTopic,
    commit: committer(new FirestoreEventStore(db), { correlationId: 'relay-reads' }),
    /** How many events are still marked pending publication. */
    pending: async () => (await db.collectionGroup(EVENTS).where(PENDING, '==', true).orderBy(FieldPath.documentId()).get()).size,
  };
}

/**
 * Registers `count` customers while no relay runs (the previous holder of the partitions died), then starts the
 * relay and waits until it has published them and cleared their markers; returns their streams.
 */
async function startOnLeftEvents(shop: Awaited<ReturnType<typeof setUp>>, count: number): Promise<string[]> {
  const left = Array.from({ length: count }, () => `customer-${randomUUID()}`);
  for (const [i, stream] of left.entries()) await shop.commit(stream, [customerRegistered(`c-${i}`)]);
  shop.relay.start();
  await vi.waitFor(() => expect(shop.received).toHaveLength(left.length), { timeout: 30_000, interval: 50 });
  await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
  return left;
}

/** Twelve streams of four versions, each version its own commit, the streams concurrently; returns the streams. */
async function commitFourVersionsOfTwelveStreams(shop: Awaited<ReturnType<typeof setUp>>): Promise<string[]> {
  const streams = Array.from({ length: 12 }, () => `customer-${randomUUID()}`);
  await Promise.all(
    streams.map(async (stream, i) => {
      await shop.commit(stream, [customerRegistered(`c-${i}`)]);
      for (let version = 2; version <= 4; version++) {
        await shop.commit(stream, [customerDetailsChanged(`c-${i}`, `Name ${version}`, 'ada@example.com')]);
      }
    }),
  );
  return streams;
}

/**
 * Firestore itself, except that its listeners on the outbox (the events collection group) never report the events
 * `misses` picks: they stay healthy and report every other change, each result with its read time, as a listener
 * that silently missed a document would. Queries, writes and the listeners themselves all go to the emulator.
 */
function withListenerThatMisses(db: Firestore, misses: (doc: QueryDocumentSnapshot) => boolean): Firestore {
  const without = (snapshot: QuerySnapshot): QuerySnapshot => {
    const docs = snapshot.docs.filter((doc) => !misses(doc));
    const filtered: Record<PropertyKey, unknown> = { docs, size: docs.length, empty: docs.length === 0 };
    return new Proxy(snapshot, {
      get: (target, property) => (property in filtered ? filtered[property] : Reflect.get(target, property, target)),
    });
  };
  return withOutboxListeners(db, (query, onNext, onError) => query.onSnapshot((snapshot) => onNext(without(snapshot)), onError));
}

/**
 * The relay's client, with listeners whose every result also shows each event an earlier result showed, pending
 * as it was then: stale results, as a loaded emulator's listener has sent them.
 */
function withListenerThatRepeats(db: Firestore): Firestore {
  return withOutboxListeners(db, (query, onNext, onError) => {
    const shownBefore = new Map<string, QueryDocumentSnapshot>();
    return query.onSnapshot((snapshot) => {
      const current = new Set(snapshot.docs.map((doc) => doc.ref.path));
      const stale = [...shownBefore.values()].filter((doc) => !current.has(doc.ref.path));
      for (const doc of snapshot.docs) shownBefore.set(doc.ref.path, doc);
      onNext({ docs: [...stale, ...snapshot.docs], readTime: snapshot.readTime } as unknown as QuerySnapshot);
    }, onError);
  });
}

const MISSED = 'outbox listener missed pending events; its periodic catch-up publishes them';

/** What the relay's client did through one RPC (`RunQuery`, `Listen`, `Commit`) so far. */
const through = (counter: FirestoreOperationCounter, rpc: string) =>
  counter.snapshot().get(rpc) ?? { reads: 0, writes: 0, deletes: 0, requests: 0 };

describe('outbox relay in steady state', () => {
  it('publishes from its listener: each event read once, no query after the catch-up at start', { timeout: 60_000 }, async () => {
    const shop = await setUp();
    shop.relay.start();
    // The catch-up at start: one query per partition, each finding the outbox empty (billed one read).
    await vi.waitFor(
      () =>
        expect(through(shop.counter, 'RunQuery')).toMatchObject({ requests: DEFAULT_STREAM_PARTITIONS, reads: DEFAULT_STREAM_PARTITIONS }),
      { timeout: 30_000, interval: 20 },
    );
    const queriesBefore = through(shop.counter, 'RunQuery');
    const listenedBefore = through(shop.counter, 'Listen').reads;

    // Commits land while earlier ones are being published, and in the partitions' listener results next to events
    // whose markers the relay is clearing.
    const streams = await commitFourVersionsOfTwelveStreams(shop);
    const events = streams.length * 4;

    await vi.waitFor(() => expect(shop.received).toHaveLength(events), { timeout: 30_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    // Each event once, each stream's versions in order.
    for (const stream of streams) {
      expect(shop.received.filter((m) => m.startsWith(`${stream}@`))).toEqual([1, 2, 3, 4].map((v) => `${stream}@${v}`));
    }
    expect(through(shop.counter, 'RunQuery')).toEqual(queriesBefore);
    expect(through(shop.counter, 'Listen').reads - listenedBefore).toBe(events);
    // The markers cleared: one write each, in as many commits as batches went out. Counted as the relay's client
    // takes each commit's answer, which may come a moment after the emulator shows the marker gone.
    await vi.waitFor(() => expect(through(shop.counter, 'Commit').writes).toBe(events), { timeout: 5_000, interval: 20 });
    // And the pending age falls back to 0 with no query to find the partitions empty: the listener says so.
    await vi.waitFor(() => expect(shop.relay.oldestPendingAgeSeconds()).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it('a relay started on a full outbox catches up by query, then goes on from its listener', { timeout: 60_000 }, async () => {
    const shop = await setUp();
    const left = await startOnLeftEvents(shop, 5);
    // The listener's first results, read before the catch-up cleared those markers, did not send them again.
    expect([...shop.received].sort()).toEqual(left.map((stream) => `${stream}@1`).sort());
    // The catch-up: a query per partition, and in those with events a second one that finds them all published.
    const withEvents = new Set(left.map((id) => StreamPartitions.DEFAULT.partitionOf(id))).size;
    await vi.waitFor(
      () =>
        expect(through(shop.counter, 'RunQuery')).toMatchObject({
          requests: DEFAULT_STREAM_PARTITIONS + withEvents,
          reads: left.length + DEFAULT_STREAM_PARTITIONS,
        }),
      { timeout: 30_000, interval: 20 },
    );

    const queriesBefore = through(shop.counter, 'RunQuery').requests;
    for (const stream of left) await shop.commit(stream, [customerDetailsChanged('c', 'Grace', 'grace@example.com')]);
    await vi.waitFor(() => expect(shop.received).toHaveLength(left.length * 2), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    for (const stream of left) expect(shop.received.filter((m) => m.startsWith(`${stream}@`))).toEqual([`${stream}@1`, `${stream}@2`]);
    expect(through(shop.counter, 'RunQuery').requests).toBe(queriesBefore);
  });

  it('a publish from the listener that fails sends the relay back to the query until it goes through', { timeout: 60_000 }, async () => {
    const shop = await setUp({ integration: true });
    shop.relay.start();
    await vi.waitFor(
      () =>
        expect(through(shop.counter, 'RunQuery')).toMatchObject({ requests: DEFAULT_STREAM_PARTITIONS, reads: DEFAULT_STREAM_PARTITIONS }),
      { timeout: 30_000, interval: 20 },
    );

    // An order, whose integration event cannot go out: its topic does not exist yet.
    const orderId = randomUUID();
    const order = `order-${orderId}`;
    await shop.commit(order, [orderPlaced(orderId, 'c-1', [line('p-1', 1, 500)])]);
    // The relay retries with the catch-up query, every second, and the event stays pending.
    await vi.waitFor(() => expect(through(shop.counter, 'RunQuery').requests).toBeGreaterThanOrEqual(DEFAULT_STREAM_PARTITIONS + 2), {
      timeout: 20_000,
      interval: 50,
    });
    expect(await shop.pending()).toBe(1);

    // Once the topic exists the next retry goes through. Markers are cleared only for what Pub/Sub acknowledged,
    // so none pending means the integration event was accepted. (A tap subscription cannot show it: it can only
    // be created after the topic, and the retry may publish in between, before the tap exists.)
    await shop.integrationTopic.create();
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 20_000, interval: 50 });

    // Once through, back to the listener: what is committed next goes out with no query.
    await vi.waitFor(() => expect(shop.relay.oldestPendingAgeSeconds()).toBe(0), { timeout: 10_000, interval: 50 });
    // A retry the failures scheduled may still run its query once after the publish went through (on a loaded
    // machine one did): count from when no query has come for longer than the relay's retry period.
    let queriesBefore = through(shop.counter, 'RunQuery').requests;
    for (;;) {
      await sleep(1_500);
      const now = through(shop.counter, 'RunQuery').requests;
      if (now === queriesBefore) break;
      queriesBefore = now;
    }
    const customer = `customer-${randomUUID()}`;
    await shop.commit(customer, [customerRegistered('c-1')]);
    await vi.waitFor(() => expect(shop.received).toContain(`${customer}@1`), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    expect(through(shop.counter, 'RunQuery').requests).toBe(queriesBefore);
    // The order's domain event went out too (with every attempt: at least once, as projectors expect).
    expect(shop.received).toContain(`${order}@1`);
  });
});

describe('outbox relay: listener results it cannot trust', () => {
  it('skips an event it published that a later, stale result still shows pending', { timeout: 60_000 }, async () => {
    const shop = await setUp({ listenerRepeats: true });
    await shop.relay.start();
    const streams = Array.from({ length: 6 }, () => `customer-${randomUUID()}`);
    // One at a time: every result after the first shows the events before it again, their markers long cleared.
    for (const [i, stream] of streams.entries()) {
      await shop.commit(stream, [customerRegistered(`c-${i}`)]);
      await vi.waitFor(() => expect(shop.received).toHaveLength(i + 1), { timeout: 20_000, interval: 20 });
      await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 20 });
    }
    // Another result or two for the last one, then: still each event once.
    await sleep(1_000);
    expect([...shop.received].sort()).toEqual(streams.map((stream) => `${stream}@1`).sort());
  });
});

describe('outbox relay: the safety net of a listening relay', () => {
  it('runs its catch-up query every interval: an event its listener never reported goes out, once, with a warning', {
    timeout: 60_000,
  }, async () => {
    const missed = `customer-${randomUUID()}`;
    const { logger, lines } = recordingLogger();
    const shop = await setUp({ relay: { catchUpIntervalMs: 2_000, logger }, listenerMisses: missed });
    shop.relay.start();
    // The catch-up at start, then the safety net's first round, found the outbox empty (an empty result bills one
    // read). Committed now, the events reach the listener long before the next round, two seconds away: what that
    // round finds, the listener missed (the relay does not warn of an event its listener is about to report).
    await vi.waitFor(() => expect(through(shop.counter, 'RunQuery').reads).toBeGreaterThanOrEqual(2 * DEFAULT_STREAM_PARTITIONS), {
      timeout: 30_000,
      interval: 5,
    });

    // One event the listener never reports (its results go on without it), one it does.
    const reported = `customer-${randomUUID()}`;
    await shop.commit(missed, [customerRegistered('c-1')]);
    await shop.commit(reported, [customerRegistered('c-2')]);
    // By the next round, both went out.
    await vi.waitFor(() => expect([...shop.received].sort()).toEqual([`${missed}@1`, `${reported}@1`].sort()), {
      timeout: 5_000,
      interval: 20,
    });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    // And once: the next round finds the partitions empty, and the listener's results do not send them again.
    await sleep(2_500);
    expect([...shop.received].sort()).toEqual([`${missed}@1`, `${reported}@1`].sort());
    // Operators are told which partition's listener missed how many; the event it reported is not counted.
    const warnings = lines().filter((line) => line.msg === MISSED);
    expect(warnings).toEqual([expect.objectContaining({ level: 40, partition: StreamPartitions.DEFAULT.partitionOf(missed), events: 1 })]);

    // Stopped, it looks no more.
    await shop.relay.stop();
    const stopped = through(shop.counter, 'RunQuery').requests;
    await sleep(2_500);
    expect(through(shop.counter, 'RunQuery').requests).toBe(stopped);
  });

  it('with catchUpIntervalMs null, nothing looks again: the missed event waits for the next start', { timeout: 60_000 }, async () => {
    const missed = `customer-${randomUUID()}`;
    const shop = await setUp({ relay: { catchUpIntervalMs: null }, listenerMisses: missed });
    shop.relay.start();
    // The catch-up at start has found the outbox empty (an empty result bills one read): the event comes after it.
    await vi.waitFor(
      () =>
        expect(through(shop.counter, 'RunQuery')).toMatchObject({ requests: DEFAULT_STREAM_PARTITIONS, reads: DEFAULT_STREAM_PARTITIONS }),
      { timeout: 30_000, interval: 20 },
    );

    await shop.commit(missed, [customerRegistered('c-1')]);
    // Longer than the other test's interval: no query after the catch-up at start, and the event still waits.
    await sleep(2_500);
    expect(through(shop.counter, 'RunQuery').requests).toBe(DEFAULT_STREAM_PARTITIONS);
    expect(shop.received).toEqual([]);
    expect(await shop.pending()).toBe(1);

    // The catch-up of the next start finds it.
    await shop.relay.stop();
    shop.relay.start();
    await vi.waitFor(() => expect(shop.received).toEqual([`${missed}@1`]), { timeout: 10_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
  });
});

describe('outbox relay polling, as on the emulators', () => {
  const poll = { mode: 'poll', intervalMs: 100 } as const;

  it("finds every partition's events with one query a round, and publishes each once, in stream order", { timeout: 60_000 }, async () => {
    const shop = await setUp({ relay: { discovery: poll } });
    shop.relay.start();
    const streams = await commitFourVersionsOfTwelveStreams(shop);

    await vi.waitFor(() => expect(shop.received).toHaveLength(streams.length * 4), { timeout: 30_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    for (const stream of streams) {
      expect(shop.received.filter((m) => m.startsWith(`${stream}@`))).toEqual([1, 2, 3, 4].map((v) => `${stream}@${v}`));
    }
    // No listener at all: the emulator reruns a listener's query on every write to the collection group.
    expect(through(shop.counter, 'Listen').requests).toBe(0);
    // Idle, a round is one query, not one per partition (sixteen a round would be 16 or more here).
    const before = through(shop.counter, 'RunQuery');
    await sleep(1_000);
    const after = through(shop.counter, 'RunQuery');
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(1);
    expect(after.requests - before.requests).toBeLessThanOrEqual(11);
    expect(shop.received).toHaveLength(streams.length * 4);
    // Stopped, it polls no more.
    await shop.relay.stop();
    const stopped = through(shop.counter, 'RunQuery').requests;
    await sleep(500);
    expect(through(shop.counter, 'RunQuery').requests).toBe(stopped);
  });

  it('runs no catch-up of its own every catchUpIntervalMs: its rounds read every partition already', { timeout: 60_000 }, async () => {
    const shop = await setUp({ relay: { discovery: { mode: 'poll', intervalMs: 60_000 }, catchUpIntervalMs: 100 } });
    shop.relay.start();
    // The catch-up at start, one query per partition; the first round is a minute away.
    await vi.waitFor(
      () =>
        expect(through(shop.counter, 'RunQuery')).toMatchObject({ requests: DEFAULT_STREAM_PARTITIONS, reads: DEFAULT_STREAM_PARTITIONS }),
      { timeout: 30_000, interval: 20 },
    );
    await sleep(1_000);
    expect(through(shop.counter, 'RunQuery').requests).toBe(DEFAULT_STREAM_PARTITIONS);
  });

  it('looks at once when nudged after a commit, rather than at its next round', { timeout: 60_000 }, async () => {
    const shop = await setUp({ relay: { discovery: { mode: 'poll', intervalMs: 60_000 } } });
    shop.relay.start();
    // The API's event store nudges its relay after every commit (src/apiAdapters.ts).
    const commit = committer(new FirestoreEventStore(shop.db, { onCommitted: () => shop.relay.nudge() }));
    const streams = Array.from({ length: 5 }, () => `customer-${randomUUID()}`);
    for (const [i, stream] of streams.entries()) await commit(stream, [customerRegistered(`c-${i}`)]);
    // Long before the next round, a minute away: each commit's nudge found its event.
    await vi.waitFor(() => expect(shop.received).toHaveLength(streams.length), { timeout: 10_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    expect([...shop.received].sort()).toEqual(streams.map((stream) => `${stream}@1`).sort());
  });

  it('a full page sends every partition to its own catch-up query, so none is left behind', { timeout: 60_000 }, async () => {
    const shop = await setUp({ relay: { discovery: poll, batchSize: 5 } });
    // Thirty events: six pages of the poll's query.
    const left = await startOnLeftEvents(shop, 30);
    expect([...shop.received].sort()).toEqual(left.map((stream) => `${stream}@1`).sort());

    // Then back to the poll: what is committed next goes out too, once.
    for (const stream of left.slice(0, 3)) await shop.commit(stream, [customerDetailsChanged('c', 'Grace', 'grace@example.com')]);
    await vi.waitFor(() => expect(shop.received).toHaveLength(left.length + 3), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    expect(new Set(shop.received).size).toBe(shop.received.length);
  });

  it('relays sharing the partitions through leases each publish only theirs: every event once', { timeout: 60_000 }, async () => {
    const leases = { leaseMs: 3_000 };
    const shop = await setUp({ relay: { discovery: poll, leases } });
    const other = shop.anotherRelay();
    shop.relay.start();
    other.start();
    // Both relays hold a share once they have seen each other.
    await vi.waitFor(
      () => {
        expect(shop.relay.partitions().length + other.partitions().length).toBe(DEFAULT_STREAM_PARTITIONS);
        expect(shop.relay.partitions().length).toBeGreaterThan(0);
        expect(other.partitions().length).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 100 },
    );
    const streams = Array.from({ length: 40 }, () => `customer-${randomUUID()}`);
    await Promise.all(streams.map((stream, i) => shop.commit(stream, [customerRegistered(`c-${i}`)])));
    await vi.waitFor(() => expect(shop.received).toHaveLength(streams.length), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect(await shop.pending()).toBe(0), { timeout: 10_000, interval: 50 });
    // A second copy would come right after the first.
    await sleep(500);
    expect([...shop.received].sort()).toEqual(streams.map((stream) => `${stream}@1`).sort());
  });
});
