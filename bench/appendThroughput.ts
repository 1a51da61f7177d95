/**
 * (a) What an append costs, on the workload commands produce: each writer appends versions 2, 3, 4, ... to a
 * stream that already exists, one event per append, the way a command appends after loading the stream.
 *
 * Sides, all writing the same event document (same contents, same path):
 * - `create`: a plain `create()` of the event document, nothing else: the floor.
 * - `ddd-ts`: a transaction that only `create()`s the event document, as @ddd-ts/event-sourcing-firestore does.
 * - `store`: `FirestoreEventStore.appendToStreams` with `readAtExpectedVersion` (what runCommand passes): one
 *   commit whose only document is the event, which carries its own outbox marker (a batch when it is the only
 *   append in flight, else through the transaction runner, as ddd-ts sends it).
 * - `outbox record`: the alternative design, measured to argue the choice: a batch that creates the event
 *   document and a separate outbox record per commit (the layout this store used before).
 *
 * Scenarios: one writer on its own stream, 32 writers each on its own stream, and 8 writers racing on one hot
 * stream (each writer appends after the version it last saw; when another writer got there first it re-reads
 * the stream's head and tries again, on every side alike). Afterwards every stream is read back: each append
 * that reported success must be there exactly once ("lost", "duplicated"), with no gap in the versions.
 *
 * The machine is shared and noisy, so the sides run in rotating blocks (every side first in some block). Each
 * block yields a store / ddd-ts ratio of sides that ran back to back; their median is the figure the report
 * judges by, and each side's rate (its total appends over its total time) is shown beside it.
 */
import { randomUUID } from 'node:crypto';
import { FieldValue, type Firestore } from '@google-cloud/firestore';
import type { EventEnvelope, NewEvent } from '../src/core/eventStore.ts';
import { ConcurrencyError } from '../src/core/errors.ts';
import { eventDocumentId, FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { StreamPartitions } from '../src/firestore/partitions.ts';
import { newOrderPlaced } from './orderPlacedEvent.ts';
import { startPhase, type Phase } from './progress.ts';

export const APPEND_SIDES = ['create', 'ddd-ts', 'store', 'outbox record'] as const;
export type AppendSide = (typeof APPEND_SIDES)[number];

export interface AppendThroughputPlan {
  /** Writers on streams of their own, and how many appends each side makes with that many writers. */
  readonly ownStreams: ReadonlyArray<{ writers: number; count: number }>;
  /** Writers racing on one stream, and how many appends must succeed per side. */
  readonly hotStream: { writers: number; count: number };
  /** How many rotating blocks each side's appends are split into. */
  readonly blocks: number;
}

export interface AppendThroughputResult {
  readonly scenario: 'own streams' | 'one hot stream';
  readonly writers: number;
  /** Appends that succeeded, per side. */
  readonly appendsPerSide: number;
  readonly eventsPerSecond: Record<AppendSide, number>;
  /** Commits tried per append that succeeded (1 without contention). */
  readonly attemptsPerAppend: Record<AppendSide, number>;
  /** store / ddd-ts in each block. */
  readonly blockRatios: readonly number[];
  /** Appends reported successful but missing from the stream, and events stored more than once, over all sides. */
  readonly lost: number;
  readonly duplicated: number;
  /** Streams with a hole in their versions. */
  readonly gaps: number;
}

/** Appends `event` at `version`; false when another writer already holds that version. */
type AppendAt = (streamId: string, version: number, event: NewEvent) => Promise<boolean>;

const ALREADY_EXISTS = 6;

export async function measureAppendThroughput(db: Firestore, plan: AppendThroughputPlan): Promise<AppendThroughputResult[]> {
  const store = new FirestoreEventStore(db);
  const eventRef = (streamId: string, version: number) => store.eventsOf(streamId).doc(eventDocumentId(version));
  const documentOf = (streamId: string, version: number, event: NewEvent) => ({
    ...envelopeOf(streamId, version, event),
    partition: StreamPartitions.DEFAULT.partitionOf(streamId),
    recordedAt: FieldValue.serverTimestamp(),
  });
  const conflictIsFalse = async (write: Promise<unknown>) => {
    try {
      await write;
      return true;
    } catch (error) {
      if (error instanceof ConcurrencyError || (error as { code?: number }).code === ALREADY_EXISTS) return false;
      throw error;
    }
  };
  const sides: Record<AppendSide, AppendAt> = {
    create: (streamId, version, event) => conflictIsFalse(eventRef(streamId, version).create(documentOf(streamId, version, event))),
    'ddd-ts': (streamId, version, event) =>
      conflictIsFalse(db.runTransaction(async (tx) => void tx.create(eventRef(streamId, version), documentOf(streamId, version, event)))),
    store: (streamId, version, event) =>
      conflictIsFalse(store.appendToStreams([{ streamId, expectedVersion: version - 1, readAtExpectedVersion: true, events: [event] }])),
    'outbox record': (streamId, version, event) => {
      const batch = db.batch();
      batch.create(eventRef(streamId, version), documentOf(streamId, version, event));
      batch.create(db.collection('outbox').doc(), {
        events: [envelopeOf(streamId, version, event)],
        partition: StreamPartitions.DEFAULT.partitionOf(streamId),
        pending: true,
        createdAt: FieldValue.serverTimestamp(),
      });
      return conflictIsFalse(batch.commit());
    },
  };

  /** What each side reported as appended, per stream: checked against the stored streams at the end. */
  const appended = new Map<string, string[]>();
  const headOf = async (streamId: string) =>
    ((await store.eventsOf(streamId).orderBy('version', 'desc').limit(1).get()).docs[0]?.get('version') as number | undefined) ?? 0;

  /** A writer: appends after the version it knows; on a conflict reads the head and tries again. */
  const appendOnce = async (side: AppendSide, streamId: string, known: { version: number }, counters: { attempts: number }) => {
    for (;;) {
      const event = newOrderPlaced();
      counters.attempts++;
      if (await sides[side](streamId, known.version + 1, event)) {
        known.version++;
        appended.get(streamId)!.push(event.eventId);
        return;
      }
      known.version = await headOf(streamId);
    }
  };

  /** Streams that exist (at version 1) before anything is timed, as commands find them. */
  const existingStreams = async (side: AppendSide, count: number) =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const streamId = `bench-${side.replace(' ', '-')}-${randomUUID()}`;
        await store.appendToStreams([{ streamId, expectedVersion: 0, events: [newOrderPlaced()] }]);
        appended.set(streamId, []);
        return streamId;
      }),
    );

  /**
   * One side's writers and the streams they append to, created (at version 1) before anything is timed and kept
   * from block to block, so streams keep growing as a command's streams do and the read-back stays small.
   */
  const writersOf = async (side: AppendSide, writers: number, hot: boolean) => ({
    streams: await existingStreams(side, hot ? 1 : writers),
    // Each writer remembers the version it last saw (on the hot stream too, as separate API instances would).
    known: Array.from({ length: writers }, () => ({ version: 1 })),
  });
  type Writers = Awaited<ReturnType<typeof writersOf>>;

  /** Runs `count` successful appends of one side with its writers; returns the time taken and attempts. */
  const runBlock = async (side: AppendSide, { streams, known }: Writers, count: number, phase: Phase) => {
    const counters = { attempts: 0 };
    const elapsedMs = await runPool(
      count,
      known.length,
      (worker) => appendOnce(side, streams[streams.length === 1 ? 0 : worker]!, known[worker]!, counters),
      phase.tick,
    );
    return { elapsedMs, attempts: counters.attempts };
  };

  const scenarios = [...plan.ownStreams.map(({ writers, count }) => ({ writers, count, hot: false })), { ...plan.hotStream, hot: true }];
  const results: AppendThroughputResult[] = [];
  for (const { writers, count, hot } of scenarios) {
    const perBlock = Math.ceil(count / plan.blocks);
    // Every write path runs before anything counts: the emulator keeps getting faster for the first commits of
    // a new shape, and the side measured first would otherwise look slower.
    const warmUp = Math.max(50, writers * 10);
    const label = hot ? `${writers} writers, one stream` : `${writers} writer(s), own streams`;
    const phase = startPhase(`(a) appends, ${label}`, APPEND_SIDES.length * (warmUp + perBlock * plan.blocks));
    for (const side of APPEND_SIDES) await runBlock(side, await writersOf(side, writers, hot), warmUp, phase);
    appended.clear();
    const sideWriters = {} as Record<AppendSide, Writers>;
    for (const side of APPEND_SIDES) sideWriters[side] = await writersOf(side, writers, hot);

    const elapsedMs = Object.fromEntries(APPEND_SIDES.map((s) => [s, 0])) as Record<AppendSide, number>;
    const attempts = Object.fromEntries(APPEND_SIDES.map((s) => [s, 0])) as Record<AppendSide, number>;
    const blockRatios: number[] = [];
    for (let block = 0; block < plan.blocks; block++) {
      // Rotated each block, so a slow drift of the machine's load hits every side alike.
      const order = APPEND_SIDES.map((_, i) => APPEND_SIDES[(i + block) % APPEND_SIDES.length]!);
      const blockMs = {} as Record<AppendSide, number>;
      for (const side of order) {
        const run = await runBlock(side, sideWriters[side], perBlock, phase);
        blockMs[side] = run.elapsedMs;
        elapsedMs[side] += run.elapsedMs;
        attempts[side] += run.attempts;
      }
      blockRatios.push(blockMs['ddd-ts'] / blockMs.store);
    }
    phase.end();

    const total = perBlock * plan.blocks;
    results.push({
      scenario: hot ? 'one hot stream' : 'own streams',
      writers,
      appendsPerSide: total,
      eventsPerSecond: Object.fromEntries(APPEND_SIDES.map((s) => [s, total / (elapsedMs[s] / 1000)])) as Record<AppendSide, number>,
      attemptsPerAppend: Object.fromEntries(APPEND_SIDES.map((s) => [s, attempts[s] / total])) as Record<AppendSide, number>,
      blockRatios,
      ...(await verify(store, appended)),
    });
    appended.clear();
  }
  return results;
}

/** Reads every stream back: what was reported appended must be stored exactly once, versions without holes. */
async function verify(store: FirestoreEventStore, appended: ReadonlyMap<string, readonly string[]>) {
  let lost = 0;
  let duplicated = 0;
  let gaps = 0;
  for (const [streamId, eventIds] of appended) {
    const stored = await store.readStream(streamId);
    if (stored.some((event, i) => event.version !== i + 1)) gaps++;
    const counts = new Map<string, number>();
    for (const event of stored) counts.set(event.eventId, (counts.get(event.eventId) ?? 0) + 1);
    for (const eventId of eventIds) if (!counts.has(eventId)) lost++;
    for (const n of counts.values()) if (n > 1) duplicated += n - 1;
  }
  return { lost, duplicated, gaps };
}

function envelopeOf(streamId: string, version: number, event: NewEvent): EventEnvelope {
  return {
    eventId: event.eventId,
    streamId,
    version,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    occurredAt: event.occurredAt,
    metadata: event.metadata,
  };
}

/**
 * Runs `count` tasks with at most `concurrency` in flight and returns the wall time in ms. A task that fails
 * fails the measurement: a throughput figure that silently includes errors would flatter the side that errs.
 * Each task is told which worker (0 to concurrency - 1) runs it: no two tasks of one worker overlap.
 */
export async function runPool(
  count: number,
  concurrency: number,
  task: (worker: number) => Promise<void>,
  onDone: () => void = () => {},
): Promise<number> {
  let started = 0;
  const startedAt = performance.now();
  const worker = async (_: unknown, index: number) => {
    while (started < count) {
      started++;
      await task(index);
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - startedAt;
}
