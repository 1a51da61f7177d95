/**
 * Ordered live queries (the newest orders, the soonest payment deadlines) read as one listener per partition of
 * the views' ids and merged (src/firestore/firestoreReadModels.ts): every index that orders views is led by the
 * partition, so no index range takes every order's write. Checked against the same query asked of Firestore in
 * one piece, on views the real projector wrote.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { shardOf } from '../src/core/projection.ts';
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

/** Reads a live stream's next value, or fails after a while (`waitingFor` says what for). */
async function next<T>(stream: AsyncIterableIterator<T>, waitingFor = 'a value', seconds = 10): Promise<T> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no live value within ${seconds} s, waiting for ${waitingFor}`)), seconds * 1000).unref(),
  );
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
    const placeIn = async (n: number, orderId = `o-${randomUUID()}`) => {
      await recorder.record(`order-${orderId}`, [orderPlaced(orderId, `c-${n}`, [line('sku-kettle', 1, 2500)], placedAt(n))], placedAt(n));
      return orderId;
    };
    /** An order id whose view partition under 16 and under 32 `holds`. */
    const orderIdWhere = (holds: (under16: number, under32: number) => boolean) => {
      for (;;) {
        const id = `o-${randomUUID()}`;
        if (holds(shardOf(id, 16), shardOf(id, 32))) return id;
      }
    };
    // The newest of these moves to a partition the growth opens once it is written again.
    for (let n = 0; n < 11; n++) await placeIn(n);
    const moved = await placeIn(
      11,
      orderIdWhere((under16, under32) => under16 !== under32),
    );
    const stored = (id: string) => viewsOf(grownDb, readModelCollectionName(orderDetailsProjection)).doc(id).get();
    type Result = ReadonlyArray<ViewDocument<OrderDetails>>;
    const stream = grownReadModels.watchResults(orderDetailsProjection, { orderBy: { field: 'placedAt', direction: 'desc' }, limit: 12 });
    /** Reads the stream until its result is the query's in one piece and `settled` holds; no result may hold a view twice. */
    const settle = async (waitingFor: string, settled: (result: Result) => boolean) => {
      for (;;) {
        // A loaded emulator answers 32 listeners' queries on every write: it is given time.
        const result = await next<Result>(stream, waitingFor, 30);
        const ids = result.map(({ id }) => id);
        expect(new Set(ids).size).toBe(ids.length);
        if (settled(result) && JSON.stringify(ids) === JSON.stringify(await newestInOnePiece(12, grownDb))) return result;
      }
    };
    try {
      await settle('the first result', (result) => result.length === 12);
      expect(grownReadModels.liveStats().listeners).toBe(16);

      const grown = await growViewPartitions(grownDb, 32, { noticeMs: 5_000, minNoticeMs: 1_000 });
      const since = grown.viewCounts[1]!.since;
      // Heard of through the layout's listener, well before the switch.
      await vi.waitFor(() => expect(grownReadModels.liveStats().listeners).toBe(32), { timeout: 4_000, interval: 20 });
      expect(Date.now()).toBeLessThan(since);
      await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(since), { timeout: 6_000, interval: 50 });

      // Views written from now on spread over the 32 partitions; the live query follows them.
      const newest = await placeIn(
        12,
        orderIdWhere((_, under32) => under32 >= 16),
      );
      expect((await stored(newest)).get(VIEW_PARTITION_FIELD)).toBe(grown.viewPartitionOf(newest));
      await settle('the newest view, in a new partition', (result) => result[0]!.id === newest);

      // A view written before the switch and again after it moves to its partition under 32: it stays one view.
      expect((await stored(moved)).get(VIEW_PARTITION_FIELD)).toBe(grown.viewPartitionOf(moved, 0));
      await recorder.record(`order-${moved}`, [
        orderPaymentConfirmed(moved, 'c-11', 2500, { placedAt: placedAt(11), paidAt: placedAt(60) }),
      ]);
      expect((await stored(moved)).get(VIEW_PARTITION_FIELD)).toBe(grown.viewPartitionOf(moved));
      await settle('the moved view', (result) => result.find(({ id }) => id === moved)?.view.status === 'PAID');
      expect((await streamPartitions(grownDb)).allViewPartitions()).toHaveLength(32);
    } finally {
      await stream.return?.();
      stop();
      await grownDb.terminate();
    }
  });
});
