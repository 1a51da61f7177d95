/**
 * Ordered live queries (the newest orders, the soonest payment deadlines) read as one listener per partition of
 * the views' ids and merged (src/firestore/firestoreReadModels.ts): every index that orders views is led by the
 * partition, so no index range takes every order's write. Checked against the same query asked of Firestore in
 * one piece, on views the real projector wrote.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewChange, ViewDocument } from '../src/core/readModels.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { DEFAULT_STREAM_PARTITIONS, StreamPartitions } from '../src/firestore/partitions.ts';
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
async function newestInOnePiece(limit: number): Promise<string[]> {
  const snapshot = await viewsOf(db, readModelCollectionName(orderDetailsProjection)).orderBy('placedAt', 'desc').limit(limit).get();
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
