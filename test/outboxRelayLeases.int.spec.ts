/**
 * Outbox relays sharing the partitions through leases, on the Firestore and Pub/Sub emulators: a relay alone
 * claims every partition and keeps renewing; relays that join share them fairly; a relay that dies without
 * warning loses its partitions to the others once its leases expire; one that stops cleanly hands them back at
 * once; and relays publish only what they hold, so every event goes out once.
 *
 * Lease timings are shorter here (10 s leases, 1 s heartbeats; a heartbeat round takes seconds on a busy
 * emulator) so that expiry is quicker to watch.
 * Each test has an emulator project of its own.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { PubSub, type Message, type Topic } from '@google-cloud/pubsub';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { DEFAULT_STREAM_PARTITIONS, StreamPartitions } from '../src/firestore/partitions.ts';
import { createLogger } from '../src/logger.ts';
import { OutboxRelay } from '../src/outbox/outboxRelay.ts';
import { RELAY_LEASES } from '../src/outbox/partitionLeases.ts';
import { committer } from './support/commits.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { customerRegistered } from './support/shopFixtures.ts';

const TIMINGS = { leaseMs: 10_000, heartbeatMs: 1_000 };
const logger = createLogger({ level: 'silent' });

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setUp() {
  const projectId = uniqueProjectId('leases');
  const db = testFirestore(projectId);
  const pubsub = new PubSub({ projectId });
  cleanups.push(
    () => db.terminate(),
    () => pubsub.close(),
  );
  const topic = pubsub.topic(`topic-${randomUUID().slice(0, 8)}`, { messageOrdering: true });
  await topic.create();
  return {
    projectId,
    db,
    topic,
    commit: committer(new FirestoreEventStore(db), { correlationId: 'leases' }),
    /** A relay on the topic with leases, started. */
    relay(owner: string): OutboxRelay {
      const relay = new OutboxRelay({ db, topic, logger, leases: { ...TIMINGS, owner } });
      relay.start();
      cleanups.push(() => relay.stop());
      return relay;
    },
    /** Each partition's lease holder (null: free). */
    async holders(): Promise<Array<string | null>> {
      const leases = await db.collection(RELAY_LEASES).get();
      const byPartition = new Map(leases.docs.map((d) => [Number(d.id), d]));
      return StreamPartitions.DEFAULT.all().map((p) => {
        const lease = byPartition.get(p);
        return lease && (lease.get('expiresAt') as number) > Date.now() ? ((lease.get('owner') as string | null) ?? null) : null;
      });
    },
  };
}

/** A pull subscription on the topic: how many times each (stream, version) was published. */
async function tap(topic: Topic): Promise<Map<string, number>> {
  const [subscription] = await topic.createSubscription(`tap-${randomUUID().slice(0, 8)}`, { enableMessageOrdering: true });
  const copies = new Map<string, number>();
  subscription.on('message', (message: Message) => {
    const key = `${message.attributes.streamId}@${message.attributes.version}`;
    copies.set(key, (copies.get(key) ?? 0) + 1);
    message.ack();
  });
  cleanups.push(() => subscription.close());
  return copies;
}

const count = (holders: Array<string | null>, owner: string | null) => holders.filter((h) => h === owner).length;

describe('outbox relay leases', () => {
  it('a relay alone claims every partition and keeps its leases alive by heartbeat', { timeout: 120_000 }, async () => {
    const shop = await setUp();
    const relay = shop.relay('a');
    // What the leases say, and what the relay knows it holds (it learns of a claim once the write returns).
    await vi.waitFor(
      async () => {
        expect(await shop.holders()).toEqual(StreamPartitions.DEFAULT.all().map(() => 'a'));
        expect(relay.partitions()).toEqual(StreamPartitions.DEFAULT.all());
      },
      { timeout: 30_000, interval: 50 },
    );

    // A lease length later, it still holds them all: the heartbeat renewed them.
    const expiries = async () => (await shop.db.collection(RELAY_LEASES).get()).docs.map((d) => d.get('expiresAt') as number);
    const first = Math.max(...(await expiries()));
    await vi.waitFor(async () => expect(Math.min(...(await expiries()))).toBeGreaterThan(first + TIMINGS.leaseMs), {
      timeout: 60_000,
      interval: 100,
    });
    expect(await shop.holders()).toEqual(StreamPartitions.DEFAULT.all().map(() => 'a'));
  });

  it('relays that join share the partitions fairly, each partition held by exactly one', { timeout: 120_000 }, async () => {
    const shop = await setUp();
    const a = shop.relay('a');
    await vi.waitFor(async () => expect(count(await shop.holders(), 'a')).toBe(DEFAULT_STREAM_PARTITIONS), {
      timeout: 30_000,
      interval: 50,
    });
    const b = shop.relay('b');
    const c = shop.relay('c');

    // 16 partitions over 3 relays: at most ceil(16 / 3) = 6 each, and none left free.
    await vi.waitFor(
      async () => {
        const holders = await shop.holders();
        expect(count(holders, null)).toBe(0);
        for (const owner of ['a', 'b', 'c']) expect(count(holders, owner)).toBeGreaterThanOrEqual(4);
        for (const owner of ['a', 'b', 'c']) expect(count(holders, owner)).toBeLessThanOrEqual(6);
      },
      { timeout: 40_000, interval: 100 },
    );
    // What the relays believe they hold matches: no partition is held twice, none is left out.
    await vi.waitFor(() => expect([a, b, c].flatMap((r) => r.partitions()).sort((x, y) => x - y)).toEqual(StreamPartitions.DEFAULT.all()), {
      timeout: 30_000,
      interval: 50,
    });
  });

  it('takes over the partitions of a relay killed with SIGKILL, once its leases expire', { timeout: 300_000 }, async () => {
    const shop = await setUp();
    // The relay that will die runs in a process of its own, so that it can be killed with SIGKILL.
    const doomed = spawn(process.execPath, ['--import', 'tsx', 'test/support/leasedRelayProcess.ts'], {
      env: {
        ...process.env,
        GOOGLE_CLOUD_PROJECT: shop.projectId,
        RELAY_TOPIC: shop.topic.name.split('/').at(-1)!,
        RELAY_OWNER: 'doomed',
        OUTBOX_LEASE_MS: String(TIMINGS.leaseMs),
        OUTBOX_HEARTBEAT_MS: String(TIMINGS.heartbeatMs),
      },
      stdio: 'inherit',
    });
    const exited = new Promise((resolve) => doomed.once('exit', resolve));
    cleanups.push(async () => {
      doomed.kill('SIGKILL');
      await exited;
    });
    // A process of its own starts slowly on a busy machine; then a second relay joins and they share.
    await vi.waitFor(async () => expect(count(await shop.holders(), 'doomed')).toBeGreaterThan(0), { timeout: 120_000, interval: 100 });
    shop.relay('survivor');
    let held: Array<string | null> = [];
    await vi.waitFor(
      async () => {
        held = await shop.holders();
        expect(count(held, null)).toBe(0);
        expect(count(held, 'doomed')).toBeGreaterThan(0);
        expect(count(held, 'survivor')).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 100 },
    );

    doomed.kill('SIGKILL');
    await exited;
    // Committed after the death, in a partition the dead relay held: still published, by the survivor.
    const copies = await tap(shop.topic);
    const orphan = StreamPartitions.DEFAULT.all().find((p) => held[p] === 'doomed')!;
    const stream = streamInPartition(orphan);
    await shop.commit(stream, [customerRegistered('c-1')]);

    await vi.waitFor(async () => expect(count(await shop.holders(), 'survivor')).toBe(DEFAULT_STREAM_PARTITIONS), {
      timeout: 60_000,
      interval: 100,
    });
    await vi.waitFor(() => expect(copies.get(`${stream}@1`)).toBe(1), { timeout: 30_000, interval: 50 });
    expect(count(await shop.holders(), 'doomed')).toBe(0);
  });

  it('a relay that stops cleanly hands its partitions back at once, and another takes them', { timeout: 120_000 }, async () => {
    const shop = await setUp();
    const leaving = shop.relay('leaving');
    await vi.waitFor(async () => expect(count(await shop.holders(), 'leaving')).toBe(DEFAULT_STREAM_PARTITIONS), {
      timeout: 30_000,
      interval: 50,
    });
    const staying = shop.relay('staying');
    await vi.waitFor(async () => expect(count(await shop.holders(), 'staying')).toBe(DEFAULT_STREAM_PARTITIONS / 2), {
      timeout: 40_000,
      interval: 50,
    });

    await leaving.stop();
    expect(leaving.partitions()).toEqual([]);
    // Released, not left to expire: the leases it held name no owner any more.
    const leases = await shop.db.collection(RELAY_LEASES).get();
    expect(leases.docs.filter((d) => d.get('owner') === 'leaving')).toEqual([]);
    await vi.waitFor(() => expect(staying.partitions()).toEqual(StreamPartitions.DEFAULT.all()), { timeout: 40_000, interval: 50 });
  });

  it('relays publish only the partitions they hold: every event once', { timeout: 150_000 }, async () => {
    const shop = await setUp();
    const copies = await tap(shop.topic);
    const relays = ['a', 'b', 'c'].map((owner) => shop.relay(owner));
    // Shared before the writes: relays started together may first see one of them claim everything, and the
    // others take their share only as the fair share is rebalanced.
    await vi.waitFor(
      async () => {
        expect(count(await shop.holders(), null)).toBe(0);
        for (const relay of relays) expect(relay.partitions().length).toBeGreaterThan(0);
      },
      { timeout: 60_000, interval: 50 },
    );

    const streams = Array.from({ length: 24 }, () => `customer-${randomUUID()}`);
    for (let round = 0; round < 3; round++) {
      await Promise.all(streams.map((stream, i) => shop.commit(stream, [customerRegistered(`c-${i}-${round}`)])));
    }
    const expected = new Map(streams.flatMap((stream) => [1, 2, 3].map((v) => [`${stream}@${v}`, 1] as const)));
    await vi.waitFor(() => expect(copies).toEqual(expected), { timeout: 60_000, interval: 100 });
    // And the three relays still share the work.
    for (const relay of relays) expect(relay.partitions().length).toBeGreaterThan(0);
  });
});

/** A stream id whose partition is `partition`. */
function streamInPartition(partition: number): string {
  for (;;) {
    const stream = `customer-${randomUUID()}`;
    if (StreamPartitions.DEFAULT.partitionOf(stream) === partition) return stream;
  }
}
