/**
 * (a) What the event store costs over the raw Firestore write it wraps.
 *
 * Every append of one event to a new stream commits a batch of two `create()`s: the event document and the
 * outbox record. The baseline issues exactly those two creates, with the same document contents, in a
 * WriteBatch straight on the client. The difference is the adapter's own work (building envelopes, resolving
 * versions), so the ratio should sit near 1: this guards against the adapter quietly adding a round trip.
 *
 * The machine is shared and noisy, so the two sides run in alternating blocks (raw, store, store, raw, ...)
 * and each side's rate is its total events over its total time; the per-block ratios show the spread.
 */
import { randomUUID } from 'node:crypto';
import { FieldValue, type Firestore } from '@google-cloud/firestore';
import type { EventEnvelope, NewEvent } from '../src/core/eventStore.ts';
import { eventDocumentId, EVENTS, FirestoreEventStore, OUTBOX, STREAMS } from '../src/firestore/firestoreEventStore.ts';
import { newOrderPlaced } from './orderPlacedEvent.ts';
import { startPhase } from './progress.ts';

export interface AppendThroughputPlan {
  /** Appends per side (event store and raw) at each concurrency. */
  readonly appends: ReadonlyArray<{ concurrency: number; count: number }>;
  /** How many alternating blocks each side's appends are split into. */
  readonly blocks: number;
}

export interface AppendThroughputResult {
  readonly concurrency: number;
  readonly appendsPerSide: number;
  readonly rawEventsPerSecond: number;
  readonly storeEventsPerSecond: number;
  /** store / raw over all blocks. */
  readonly ratio: number;
  readonly blockRatios: readonly number[];
}

type Side = 'raw' | 'store';
type AppendOne = () => Promise<void>;

export async function measureAppendThroughput(db: Firestore, plan: AppendThroughputPlan): Promise<AppendThroughputResult[]> {
  const store = new FirestoreEventStore(db);
  const appendOne: Record<Side, AppendOne> = {
    store: async () => {
      await store.appendToStreams([{ streamId: `bench-${randomUUID()}`, expectedVersion: 0, events: [newOrderPlaced()] }]);
    },
    raw: () => rawAppend(db, `bench-${randomUUID()}`, newOrderPlaced()),
  };

  const results: AppendThroughputResult[] = [];
  for (const { concurrency, count } of plan.appends) {
    const perBlock = Math.ceil(count / plan.blocks);
    // Both exact write paths run before anything counts. The emulator keeps getting faster for the first
    // thousand or so commits of a new shape: with a warm-up of a few hundred, the side measured second came out
    // 15-25% "faster" in every block, while an A/A check (raw against raw) after this warm-up shows no bias.
    const warmUp = Math.max(100, concurrency * 30);
    const phase = startPhase(`(a) appends, concurrency ${concurrency}`, 2 * (warmUp + perBlock * plan.blocks));
    await runPool(warmUp, concurrency, appendOne.raw, phase.tick);
    await runPool(warmUp, concurrency, appendOne.store, phase.tick);

    const elapsedMs: Record<Side, number> = { raw: 0, store: 0 };
    const blockRatios: number[] = [];
    for (let block = 0; block < plan.blocks; block++) {
      // ABBA order: a slow drift of the machine's load then hits both sides alike.
      const order: Side[] = block % 2 === 0 ? ['raw', 'store'] : ['store', 'raw'];
      const blockMs: Record<Side, number> = { raw: 0, store: 0 };
      for (const side of order) {
        blockMs[side] = await runPool(perBlock, concurrency, appendOne[side], phase.tick);
        elapsedMs[side] += blockMs[side];
      }
      blockRatios.push(blockMs.raw / blockMs.store);
    }
    phase.end();

    const total = perBlock * plan.blocks;
    const rawEventsPerSecond = total / (elapsedMs.raw / 1000);
    const storeEventsPerSecond = total / (elapsedMs.store / 1000);
    results.push({
      concurrency,
      appendsPerSide: total,
      rawEventsPerSecond,
      storeEventsPerSecond,
      ratio: storeEventsPerSecond / rawEventsPerSecond,
      blockRatios,
    });
  }
  return results;
}

/** The baseline: the two documents an append writes, created in one batch with nothing around it. */
async function rawAppend(db: Firestore, streamId: string, event: NewEvent): Promise<void> {
  const envelope: EventEnvelope = {
    eventId: event.eventId,
    streamId,
    version: 1,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    occurredAt: event.occurredAt,
    metadata: event.metadata,
  };
  const batch = db.batch();
  batch.create(db.collection(STREAMS).doc(streamId).collection(EVENTS).doc(eventDocumentId(1)), {
    ...envelope,
    recordedAt: FieldValue.serverTimestamp(),
  });
  batch.create(db.collection(OUTBOX).doc(), { events: [envelope], pending: true, createdAt: FieldValue.serverTimestamp() });
  await batch.commit();
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
