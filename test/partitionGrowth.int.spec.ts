/**
 * The stream partitions of a deployment, on the Firestore and Pub/Sub emulators: a store laid out with more
 * partitions than the default from the start, and a store that grows while it runs. A growth is announced ahead;
 * the running process hears of it (its layout listener), its appends switch at the announced time, its readers
 * merge the new partitions with the old, and its relay, with or without leases, takes the new partitions on. A
 * stream moved to a new partition keeps its order on the topic: the new partition publishes nothing until the
 * old one has published every event recorded before the switch, even when that takes a while.
 *
 * Growths here are announced seconds ahead (`minNoticeMs`), enough for a loaded machine's appends before the
 * switch; `npm run partitions -- grow` asks at least a minute. Each test has an emulator project of its own.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { type Firestore, Timestamp } from '@google-cloud/firestore';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventsInCommitOrder } from '../src/firestore/eventsInCommitOrder.ts';
import { eventDocumentId, FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import {
  LAYOUT_MAX_AGE_MS,
  layoutRef,
  MIN_GROWTH_NOTICE_MS,
  PARTITION_LAYOUT,
  streamPartitions,
  watchStreamPartitions,
} from '../src/firestore/partitionLayout.ts';
import {
  growStreamPartitions,
  growViewPartitions,
  layOutStreamPartitions,
  PartitionLayoutChangeRefusedError,
} from '../src/firestore/partitionLayoutChanges.ts';
import { InvalidPartitionLayoutError, StreamPartitions, SWITCH_MARGIN_MS } from '../src/firestore/partitions.ts';
import { createLogger } from '../src/logger.ts';
import { OutboxRelay } from '../src/outbox/outboxRelay.ts';
import { RELAY_LEASES } from '../src/outbox/partitionLeases.ts';
import { committer } from './support/commits.ts';
import { recordingLogger } from './support/recordingLogger.ts';
import { tappedTopic } from './support/topicTap.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { customerDetailsChanged, customerRegistered } from './support/shopFixtures.ts';

const logger = createLogger({ level: 'silent' });
const SHRUNK = 'the stored partition layout has fewer partitions than this process knows; keeping the one known';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setUp() {
  const projectId = uniqueProjectId('growth');
  const db = testFirestore(projectId);
  const pubsub = new PubSub({ projectId });
  cleanups.push(
    () => db.terminate(),
    () => pubsub.close(),
  );
  const { topic, received, close } = await tappedTopic(pubsub);
  cleanups.push(close);
  return { projectId, db, topic, received, commit: committer(new FirestoreEventStore(db), { correlationId: 'growth' }) };
}

/** Keeps this test's process listening to the layout, as the API does; resolves once the listener answered. */
async function watch(db: Firestore): Promise<void> {
  const { stop } = await watchStreamPartitions(db, logger);
  cleanups.push(async () => stop());
}

/**
 * The topic, with the publishes of `held` messages (`stream@version`) failing until `release()`: the relay keeps
 * those events pending and tries again every second, as after a Pub/Sub outage.
 */
function holdingBack(topic: Topic, held: Set<string>) {
  let holding = true;
  const proxy = new Proxy(topic, {
    get(target, property, receiver) {
      if (property === 'publishMessage') {
        return (message: { attributes: Record<string, string> }) => {
          if (holding && held.has(`${message.attributes.streamId}@${message.attributes.version}`)) {
            return Promise.reject(new Error('held back by the test'));
          }
          return target.publishMessage(message as never);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { topic: proxy, release: () => (holding = false) };
}

/** Streams that a growth from 16 to 32 partitions moves to a new partition, and streams it leaves where they are. */
function streamsFor(growth: StreamPartitions, at: number) {
  const candidates = Array.from({ length: 64 }, () => `customer-${randomUUID()}`);
  const moves = (stream: string) => growth.partitionOf(stream, at) !== growth.partitionOf(stream, at - 1);
  return { moving: candidates.filter(moves).slice(0, 6), staying: candidates.filter((s) => !moves(s)).slice(0, 2) };
}

const partitionsOfStored = async (db: Firestore, version: number, streams: readonly string[]) =>
  Promise.all(streams.map(async (stream) => (await db.doc(`streams/${stream}/events/${eventDocumentId(version)}`).get()).get('partition')));

describe('growing the stream partitions of a running store', () => {
  it('switches appends at the announced time, merges old and new partitions, and keeps each moved stream in order', async () => {
    const shop = await setUp();
    await watch(shop.db);
    const { moving, staying } = streamsFor(StreamPartitions.DEFAULT.grownTo(32, 1), 1);
    const streams = [...moving, ...staying];
    for (const stream of streams) await shop.commit(stream, [customerRegistered(stream)]);

    // A relay that publishes every partition, held back on the moved streams' second events.
    const held = holdingBack(shop.topic, new Set(moving.map((stream) => `${stream}@2`)));
    const relay = new OutboxRelay({ db: shop.db, topic: held.topic, logger });
    cleanups.push(() => relay.stop());
    relay.start();
    await vi.waitFor(() => expect(shop.received).toHaveLength(streams.length), { timeout: 20_000, interval: 50 });
    expect(relay.partitions()).toHaveLength(16);

    // Announced: the listener brings it to this process, and the relay takes the new partitions on at once.
    const since = (await growStreamPartitions(shop.db, 32, { noticeMs: 8_000, minNoticeMs: 1_000 })).counts[1]!.since;
    await vi.waitFor(async () => expect((await streamPartitions(shop.db)).all()).toHaveLength(32), { timeout: 10_000, interval: 20 });
    await vi.waitFor(() => expect(relay.partitions()).toHaveLength(32), { timeout: 10_000, interval: 20 });

    // Before the switch, the old count; from it, the new one.
    expect(Date.now()).toBeLessThan(since);
    for (const stream of streams) await shop.commit(stream, [customerDetailsChanged(stream, 'Ada King', 'ada@example.org')]);
    expect(Date.now()).toBeLessThan(since);
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThanOrEqual(since), { timeout: 10_000, interval: 20 });
    for (const stream of streams) await shop.commit(stream, [customerDetailsChanged(stream, 'Ada King', 'ada@example.org')]);
    const before = await partitionsOfStored(shop.db, 2, streams);
    const after = await partitionsOfStored(shop.db, 3, streams);
    expect(before).toEqual(streams.map((stream) => StreamPartitions.DEFAULT.partitionOf(stream)));
    expect(after.slice(0, moving.length).every((partition) => partition >= 16)).toBe(true);
    expect(after.slice(moving.length)).toEqual(before.slice(moving.length));

    // The staying streams' events go out; the moved streams' third events wait for their second, held back in the
    // old partitions, well past the switch and its margin.
    await vi.waitFor(() => expect(shop.received.filter((m) => staying.some((s) => m.startsWith(s)))).toHaveLength(6), {
      timeout: 20_000,
      interval: 50,
    });
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(since + SWITCH_MARGIN_MS + 2_000), { timeout: 10_000, interval: 50 });
    expect(shop.received.filter((m) => moving.some((s) => m.startsWith(s)) && !m.endsWith('@1'))).toEqual([]);

    held.release();
    await vi.waitFor(() => expect(shop.received).toHaveLength(streams.length * 3), { timeout: 20_000, interval: 50 });
    for (const stream of streams) {
      expect(shop.received.filter((m) => m.startsWith(`${stream}@`))).toEqual([`${stream}@1`, `${stream}@2`, `${stream}@3`]);
    }

    // Store-wide reads merge the old partitions and the new: every event, in commit order.
    const read: string[] = [];
    for await (const doc of eventsInCommitOrder(shop.db)) read.push(`${doc.get('streamId')}@${doc.get('version')}`);
    expect(read).toHaveLength(streams.length * 3);
    for (const stream of streams)
      expect(read.filter((e) => e.startsWith(`${stream}@`))).toEqual([`${stream}@1`, `${stream}@2`, `${stream}@3`]);
  });

  it('shares the new partitions among relays with leases', async () => {
    const shop = await setUp();
    await watch(shop.db);
    const timings = { leaseMs: 10_000, heartbeatMs: 1_000 };
    const relays = ['a', 'b'].map((owner) => new OutboxRelay({ db: shop.db, topic: shop.topic, logger, leases: { ...timings, owner } }));
    for (const relay of relays) {
      relay.start();
      cleanups.push(() => relay.stop());
    }
    const held = () => relays.flatMap((relay) => relay.partitions()).sort((x, y) => x - y);
    await vi.waitFor(() => expect(held()).toEqual(StreamPartitions.DEFAULT.all()), { timeout: 30_000, interval: 50 });

    const since = (await growStreamPartitions(shop.db, 32, { noticeMs: 2_000, minNoticeMs: 1_000 })).counts[1]!.since;
    await vi.waitFor(() => expect(held()).toEqual(Array.from({ length: 32 }, (_, p) => p)), { timeout: 30_000, interval: 50 });
    expect(relays.map((relay) => relay.partitions().length)).toEqual([16, 16]);
    expect((await shop.db.collection(RELAY_LEASES).get()).size).toBe(32);

    // Streams appended after the switch, in the new partitions too, go out once each.
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(since), { timeout: 10_000, interval: 20 });
    const streams = Array.from({ length: 12 }, () => `customer-${randomUUID()}`);
    for (const stream of streams) await shop.commit(stream, [customerRegistered(stream)]);
    expect(new Set(await partitionsOfStored(shop.db, 1, streams)).size).toBeGreaterThan(4);
    await vi.waitFor(() => expect([...shop.received].sort()).toEqual(streams.map((s) => `${s}@1`).sort()), {
      timeout: 30_000,
      interval: 50,
    });
  });

  it('reaches a process that does not listen (the payment workflow appends too) by its next reading, well within the notice', async () => {
    const { projectId, db } = await setUp();
    // Another process: its own client, no listener, the layout read at its first append.
    const workflowDb = testFirestore(projectId);
    cleanups.push(() => workflowDb.terminate());
    expect((await streamPartitions(workflowDb)).all()).toHaveLength(16);

    const grown = await growStreamPartitions(db, 32, { noticeMs: MIN_GROWTH_NOTICE_MS });
    // Read a moment ago: it goes by what it read...
    expect((await streamPartitions(workflowDb)).all()).toHaveLength(16);
    // ...until that reading is LAYOUT_MAX_AGE_MS old, a third of the notice: then it reads the layout again first.
    expect(LAYOUT_MAX_AGE_MS * 3).toBeLessThanOrEqual(MIN_GROWTH_NOTICE_MS);
    const later = Date.now() + LAYOUT_MAX_AGE_MS;
    const clock = vi.spyOn(Date, 'now').mockReturnValue(later);
    const reading = streamPartitions(workflowDb);
    clock.mockRestore();
    expect((await reading).counts).toEqual(grown.counts);
  });

  it('keeps the partitions a running process knows when the stored layout loses some', async () => {
    const { db } = await setUp();
    const { logger: recording, messages } = recordingLogger();
    const { stop } = await watchStreamPartitions(db, recording);
    cleanups.push(async () => stop());
    await growStreamPartitions(db, 32, { noticeMs: 1_000, minNoticeMs: 1_000 });
    await vi.waitFor(async () => expect((await streamPartitions(db)).all()).toHaveLength(32), { timeout: 10_000, interval: 20 });

    // Deleted by mistake: read as it is now, the store would have 16, and the events in the other 16 go unseen.
    await db.doc(`${PARTITION_LAYOUT.collection}/${PARTITION_LAYOUT.document}`).delete();
    await vi.waitFor(() => expect(messages()).toContain(SHRUNK), { timeout: 10_000, interval: 20 });
    expect((await streamPartitions(db)).all()).toHaveLength(32);
  });

  it('refuses a growth that is not a multiple, that comes too soon, or while another is announced', async () => {
    const { db } = await setUp();
    const soon = { noticeMs: 5_000, minNoticeMs: 1_000 };
    await expect(growStreamPartitions(db, 24, soon)).rejects.toThrow(InvalidPartitionLayoutError);
    await expect(growStreamPartitions(db, 32, { noticeMs: 500, minNoticeMs: 1_000 })).rejects.toThrow(PartitionLayoutChangeRefusedError);
    await expect(growStreamPartitions(db, 32, { noticeMs: 30_000 })).rejects.toThrow(/60 s of notice/);
    await growStreamPartitions(db, 32, soon);
    await expect(growStreamPartitions(db, 64, { noticeMs: 60_000 })).rejects.toThrow(/already announced/);
  });
});

describe('laying out a new store', () => {
  it('spreads streams over the partitions chosen, keeps the view partitions chosen, and is refused once the store holds events', async () => {
    const { db, commit } = await setUp();
    const laidOut = await layOutStreamPartitions(db, 64, 32);
    expect(laidOut.all()).toHaveLength(64);
    const streams = Array.from({ length: 60 }, () => `customer-${randomUUID()}`);
    for (const stream of streams) await commit(stream, [customerRegistered(stream)]);
    const stored = await partitionsOfStored(db, 1, streams);
    expect(stored).toEqual(streams.map((stream) => laidOut.partitionOf(stream)));
    expect(stored.some((partition) => partition >= 16)).toBe(true);
    expect((await streamPartitions(db)).viewCounts).toEqual([{ partitions: 32, since: 0 }]);

    await expect(layOutStreamPartitions(db, 128)).rejects.toThrow(/holds events already/);
  });

  it('reads a layout stored before view partitions could grow, and grows its views', async () => {
    const { db } = await setUp();
    await layoutRef(db).set({
      counts: [{ partitions: 32, since: Timestamp.fromMillis(0) }],
      viewPartitions: 32,
      updatedAt: Timestamp.now(),
    });
    expect((await streamPartitions(db)).viewCounts).toEqual([{ partitions: 32, since: 0 }]);
    const grown = await growViewPartitions(db, 64, { noticeMs: 1_000, minNoticeMs: 1_000 });
    expect(grown.viewCounts.map((count) => count.partitions)).toEqual([32, 64]);
    expect(grown.counts).toEqual([{ partitions: 32, since: 0 }]);
    // A process of the earlier version reads the one number: every view partition any count uses.
    expect((await layoutRef(db).get()).get('viewPartitions')).toBe(64);
  });
});

describe('npm run partitions', () => {
  const run = (projectId: string, ...args: string[]) =>
    promisify(execFile)('npx', ['tsx', 'scripts/partitions.ts', ...args], {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: projectId, LOG_LEVEL: 'silent' },
      timeout: 120_000,
    });

  it('shows the layout, announces a growth, and refuses a second one with exit code 2', { timeout: 180_000 }, async () => {
    const projectId = uniqueProjectId('partitions-cli');
    expect(JSON.parse((await run(projectId)).stdout)).toEqual({
      streamPartitions: 16,
      counts: [{ partitions: 16, since: 'the start', inEffect: true }],
      viewPartitions: 16,
      viewCounts: [{ partitions: 16, since: 'the start', inEffect: true }],
    });

    const before = Date.now();
    const grown = JSON.parse((await run(projectId, 'grow', '32', '--in', '5')).stdout);
    expect(grown.streamPartitions).toBe(16);
    expect(grown.counts[1]).toMatchObject({ partitions: 32, inEffect: false });
    expect(Date.parse(grown.counts[1].since) - before).toBeGreaterThanOrEqual(5 * 60_000);

    const refused = await run(projectId, 'grow', '48').catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/already announced/) });

    // The view partitions grow on their own.
    const views = JSON.parse((await run(projectId, 'grow-views', '64', '--in', '5')).stdout);
    expect(views.counts).toEqual(grown.counts);
    expect(views.viewPartitions).toBe(16);
    expect(views.viewCounts[1]).toMatchObject({ partitions: 64, inEffect: false });
    const refusedViews = await run(projectId, 'grow-views', '128').catch((error: { code: number; stderr: string }) => error);
    expect(refusedViews).toMatchObject({ code: 2, stderr: expect.stringMatching(/64 view partitions is already announced/) });
  });

  it('shows, once a growth is in effect, the partitions it opened that wait for earlier events', { timeout: 180_000 }, async () => {
    const { projectId, db, topic, commit } = await setUp();
    // Committed before the switch, and not published yet: no relay runs.
    const streams = Array.from({ length: 6 }, () => `customer-${randomUUID()}`);
    for (const stream of streams) await commit(stream, [customerRegistered(stream)]);
    const since = (await growStreamPartitions(db, 32, { noticeMs: 1_000, minNoticeMs: 1_000 })).counts[1]!.since;
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(since + SWITCH_MARGIN_MS), { timeout: 10_000, interval: 50 });

    const waiting = [...new Set(streams.map((stream) => StreamPartitions.DEFAULT.partitionOf(stream) + 16))].sort((a, b) => a - b);
    const shown = JSON.parse((await run(projectId)).stdout);
    expect(shown.streamPartitions).toBe(32);
    expect(shown.counts[1]).toMatchObject({ partitions: 32, inEffect: true, openedPartitionsWaiting: waiting });

    // Once a relay has published them, nothing waits: the growth is done.
    await new OutboxRelay({ db, topic, logger }).drain();
    expect(JSON.parse((await run(projectId)).stdout).counts[1].openedPartitionsWaiting).toEqual([]);
  });
});
