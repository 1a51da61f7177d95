/**
 * Ordered live queries (the newest orders, the soonest payment deadlines) read as one listener per partition of
 * the views' ids and merged (src/firestore/firestoreReadModels.ts): every index that orders views is led by the
 * partition, so no index range takes every order's write. Checked against the same query asked of Firestore in
 * one piece, on views the real projector wrote.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ViewChange, ViewDocument } from '../src/core/readModels.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { streamPartitions, watchStreamPartitions } from '../src/firestore/partitionLayout.ts';
import { growViewPartitions } from '../src/firestore/partitionLayoutChanges.ts';
import { DEFAULT_STREAM_PARTITIONS, StreamPartitions } from '../src/firestore/partitions.ts';
import { createLogger } from '../src/logger.ts';
import { VIEW_PARTITION_FIELD, viewsOf } from '../src/firestore/readModelLayout.ts';
import { orderDetailsProjection, type OrderDetails } from '../src/projections/orderDetails.ts';
import { testFirestore } from './support/firestore.ts';
import { readSideRecorder } from './support/readSide.ts';
import { line, orderPaymentConfirmed, orderPlaced } from './support/shopFixtures.ts';

const db = testFirestore();
const readModels = new FirestoreReadModels(db);
const { record } = readSideRecorder(db);
afterAll(() => db.terminate());

/** Order n is placed n minutes after the first: the later, the newer. */
const placedAt = (n: number) => new Date(Date.UTC(2026, 10, 30, 9, n)).toISOString();
const orderIds: string[] = [];

async function place(n: number): Promise<string> {
  const orderId = `o-${randomUUID()}`;
  await record(`order-${orderId}`, [orderPlaced(orderId, `c-${n}`, [line('sku-kettle', 1, 2500)], placedAt(n))], placedAt(n));
  orderIds.push(orderId);
  return orderId;
}

/** The same query in one piece: what the emulator answers without the partitions' indexes production needs. */
async function newestInOnePiece(limit: number, from = db): Promise<string[]> {
  const snapshot = await viewsOf(from, readModelCollectionName(orderDetailsProjection)).orderBy('placedAt', 'desc').limit(limit).get();
  return snapshot.docs.map((doc) => doc.id);
}

/** Reads a live stream's next value, or fails after a while. */
async function next<T>(stream: AsyncIterableIterator<T>): Promise<T> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no live value within 10 s')), 10_000).unref());
  return (await Promise.race([stream.next(), timeout])).value as T;
}

beforeAll(async () => {
  for (let n = 0; n < 24; n++) await place(n);
});

describe('ordered live queries over partitions', () => {
  it('stores each view with its partition, which no reader sees', async () => {
    const [orderId] = orderIds;
    const stored = await viewsOf(db, readModelCollectionName(orderDetailsProjection)).doc(orderId!).get();
    expect(stored.get(VIEW_PARTITION_FIELD)).toBe(StreamPartitions.DEFAULT.partitionOf(orderId!));
    const view = await readModels.get(orderDetailsProjection, orderId!);
    expect(view).toMatchObject({ orderId });
    expect(view).not.toHaveProperty(VIEW_PARTITION_FIELD);
  });

  it('answers the newest orders across partitions, as the query in one piece does, and follows new ones', async () => {
    // The orders are spread over several partitions, so the merge has something to do.
    expect(new Set(orderIds.map((id) => StreamPartitions.DEFAULT.partitionOf(id))).size).toBeGreaterThan(4);
    const stream = readModels.watchResults(orderDetailsProjection, { orderBy: { field: 'placedAt', direction: 'desc' }, limit: 5 });
    try {
      const first = await next<ReadonlyArray<ViewDocument<OrderDetails>>>(stream);
      expect(first.map(({ id }) => id)).toEqual(await newestInOnePiece(5));
      expect(first.map(({ view }) => view.placedAt)).toEqual([23, 22, 21, 20, 19].map(placedAt));
      expect(first[0]!.view).not.toHaveProperty(VIEW_PARTITION_FIELD);

      const newest = await place(30);
      const second = await next<ReadonlyArray<ViewDocument<OrderDetails>>>(stream);
      expect(second.map(({ id }) => id)).toEqual(await newestInOnePiece(5));
      expect(second[0]!.id).toBe(newest);
    } finally {
      await stream.return?.();
    }
  });

  it('answers the same asked whole, as the API does on the emulator', async () => {
    const whole = new FirestoreReadModels(db, { orderedQueries: 'whole' });
    const options = { orderBy: { field: 'placedAt', direction: 'desc' }, limit: 7 } as const;
    const [byPartition, asked] = [
      readModels.watchResults(orderDetailsProjection, options),
      whole.watchResults(orderDetailsProjection, options),
    ];
    try {
      const [merged, single] = await Promise.all([
        next<ReadonlyArray<ViewDocument<OrderDetails>>>(byPartition),
        next<ReadonlyArray<ViewDocument<OrderDetails>>>(asked),
      ]);
      expect(single.map(({ id }) => id)).toEqual(await newestInOnePiece(7));
      expect(merged).toEqual(single);
      // The instance's metrics count every Firestore listener a live query holds open.
      expect(readModels.liveStats().listeners).toBe(DEFAULT_STREAM_PARTITIONS);
      expect(whole.liveStats().listeners).toBe(1);
    } finally {
      await Promise.all([byPartition.return?.(), asked.return?.()]);
    }
  });

  it('reports the views that enter, change within and leave the merged result', async () => {
    const stream = readModels.watchQuery(orderDetailsProjection, { orderBy: { field: 'placedAt', direction: 'desc' }, limit: 3 });
    try {
      const first = await next<Array<ViewChange<OrderDetails>>>(stream);
      const window = await newestInOnePiece(3);
      expect(first.map(({ type, id }) => ({ type, id }))).toEqual(window.map((id) => ({ type: 'added', id })));

      // Paying the newest changes it within the result.
      const paid = window[0]!;
      await record(
        `order-${paid}`,
        [orderPaymentConfirmed(paid, 'c-30', 2500, { placedAt: placedAt(30), paidAt: placedAt(31) })],
        placedAt(31),
      );
      const changed = await next<Array<ViewChange<OrderDetails>>>(stream);
      expect(changed).toEqual([{ type: 'modified', id: paid, view: expect.objectContaining({ orderId: paid, status: 'PAID' }) }]);

      // A newer order enters, and the oldest of the three leaves.
      const newest = await place(40);
      const moved = await next<Array<ViewChange<OrderDetails>>>(stream);
      expect(moved.map(({ type, id }) => ({ type, id }))).toEqual([
        { type: 'added', id: newest },
        { type: 'removed', id: window[2]! },
      ]);
    } finally {
      await stream.return?.();
    }
  });
});

describe('a growth of the view partitions', () => {
  it('has a running live query listen to the new partitions before the switch, and follow views written to them', async () => {
    // A store of its own, followed as the API follows its layout.
    const grownDb = testFirestore();
    const { stop } = await watchStreamPartitions(grownDb, createLogger({ level: 'silent' }));
    const grownReadModels = new FirestoreReadModels(grownDb);
    const recorder = readSideRecorder(grownDb);
    const placed: string[] = [];
    const placeIn = async (n: number) => {
      const orderId = `o-${randomUUID()}`;
      await recorder.record(`order-${orderId}`, [orderPlaced(orderId, `c-${n}`, [line('sku-kettle', 1, 2500)], placedAt(n))], placedAt(n));
      placed.push(orderId);
      return orderId;
    };
    for (let n = 0; n < 12; n++) await placeIn(n);
    const stored = (id: string) => viewsOf(grownDb, readModelCollectionName(orderDetailsProjection)).doc(id).get();
    type Result = ReadonlyArray<ViewDocument<OrderDetails>>;
    const stream = grownReadModels.watchResults(orderDetailsProjection, { orderBy: { field: 'placedAt', direction: 'desc' }, limit: 12 });
    /** Reads the stream until its result is the query's in one piece and `settled` holds; no result may hold a view twice. */
    const settle = async (settled: (result: Result) => boolean) => {
      for (;;) {
        const result = await next<Result>(stream);
        const ids = result.map(({ id }) => id);
        expect(new Set(ids).size).toBe(ids.length);
        if (settled(result) && JSON.stringify(ids) === JSON.stringify(await newestInOnePiece(12, grownDb))) return result;
      }
    };
    try {
      await settle((result) => result.length === 12);
      expect(grownReadModels.liveStats().listeners).toBe(16);

      const grown = await growViewPartitions(grownDb, 64, { noticeMs: 3_000, minNoticeMs: 1_000 });
      const since = grown.viewCounts[1]!.since;
      // Heard of through the layout's listener, well before the switch.
      await vi.waitFor(() => expect(grownReadModels.liveStats().listeners).toBe(64), { timeout: 2_000, interval: 20 });
      expect(Date.now()).toBeLessThan(since);
      await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(since), { timeout: 5_000, interval: 50 });

      // Views written from now on spread over the 64 partitions; the live query follows them.
      let newest: string;
      do newest = await placeIn(placed.length);
      while (grown.viewPartitionOf(newest) < 16);
      expect((await stored(newest)).get(VIEW_PARTITION_FIELD)).toBe(grown.viewPartitionOf(newest));
      await settle((result) => result[0]!.id === newest);

      // A view written before the switch and again after it moves to its partition under 64: it stays one view.
      // (One of those the 12 newest hold: the oldest has left them.)
      const moved = placed.slice(2, 12).find((id) => grown.viewPartitionOf(id) !== grown.viewPartitionOf(id, 0))!;
      expect((await stored(moved)).get(VIEW_PARTITION_FIELD)).toBe(grown.viewPartitionOf(moved, 0));
      const n = placed.indexOf(moved);
      await recorder.record(`order-${moved}`, [
        orderPaymentConfirmed(moved, `c-${n}`, 2500, { placedAt: placedAt(n), paidAt: placedAt(60) }),
      ]);
      expect((await stored(moved)).get(VIEW_PARTITION_FIELD)).toBe(grown.viewPartitionOf(moved));
      await settle((result) => result.find(({ id }) => id === moved)?.view.status === 'PAID');
      expect((await streamPartitions(grownDb)).allViewPartitions()).toHaveLength(64);
    } finally {
      await stream.return?.();
      stop();
      await grownDb.terminate();
    }
  });
});
