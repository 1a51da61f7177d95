/**
 * Orders name the stock buckets that hold their units, on the real Firestore emulator: cancelling or shipping
 * an order reads only those buckets and moves exactly its units, also when other orders race it for the same
 * bucket or a shipment races its cancellation; an order stored before orders named their buckets (OrderPlaced
 * v1) still cancels and ships, looking in every bucket.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { BucketPicker } from '../src/catalog/decideOnProductStock.ts';
import { stockBucketStreamId } from '../src/catalog/productEvents.ts';
import { type Decision, runCommand, type StreamLoader } from '../src/core/commandHandler.ts';
import type { NewEvent } from '../src/core/eventStore.ts';
import { VersionedEventStore } from '../src/core/versionedEventStore.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { decideOnNewOrder, decideOnOrder } from '../src/orders/decideOnOrder.ts';
import type { OrderLifecycleCommand } from '../src/orders/orderDecider.ts';
import { InvalidOrderTransitionError } from '../src/orders/orderErrors.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { append } from './support/commits.ts';
import { testFirestore } from './support/firestore.ts';
import { storedStock } from './support/productStock.ts';
import { bucketedProductAdded, customerRegistered, stockReserved } from './support/shopFixtures.ts';

const db = testFirestore();
const raw = new FirestoreEventStore(db);
// What commands run on in the API: reads upcast to the current versions, appends stamped with them.
const store = new VersionedEventStore(raw, shopEvents);
afterAll(() => db.terminate());

const startAt =
  (bucket: number): BucketPicker =>
  () =>
    bucket;

/** Runs a decision as the API does; `read` collects the streams it loaded (every attempt's). */
function run<Result extends object>(decide: (load: StreamLoader) => Promise<Decision<Result>>, read: string[] = []) {
  return runCommand({
    store,
    commandName: 'Test',
    occurredAt: new Date().toISOString(),
    metadata: { correlationId: randomUUID(), causationId: null },
    decide: (load) =>
      decide({
        aggregate(streamId, evolution) {
          read.push(streamId);
          return load.aggregate(streamId, evolution);
        },
      }),
  });
}

/** A product with `stock` units over `buckets` buckets, and a customer. */
async function shop(stock: number, buckets: number) {
  const productId = `p-${randomUUID().slice(0, 8)}`;
  const customerId = `c-${randomUUID().slice(0, 8)}`;
  await append(store, `product-${productId}`, 0, [bucketedProductAdded(productId, 1000, stock, buckets)]);
  await append(store, `customer-${customerId}`, 0, [customerRegistered(customerId)]);
  const place = (quantity: number, firstBucket: number) =>
    run(
      decideOnNewOrder(
        {
          type: 'PlaceOrder',
          orderId: randomUUID(),
          customerId,
          lines: [{ productId, quantity }],
          placedAt: new Date().toISOString(),
        },
        startAt(firstBucket),
      ),
    );
  return { productId, customerId, place };
}

const lifecycle = {
  pay: (orderId: string): OrderLifecycleCommand => ({
    type: 'ConfirmOrderPayment',
    orderId,
    paymentReference: 'psp-1',
    paidAt: new Date().toISOString(),
  }),
  ship: (orderId: string): OrderLifecycleCommand => ({ type: 'ShipOrder', orderId, shippedAt: new Date().toISOString() }),
  cancel: (orderId: string): OrderLifecycleCommand => ({
    type: 'CancelOrder',
    orderId,
    reason: 'changed my mind',
    cancelledAt: new Date().toISOString(),
  }),
};

const bucketsIn = (read: readonly string[]) => [...new Set(read.filter((s) => s.startsWith('productStock-')))].sort();

describe('orders name the buckets that hold their units', () => {
  it('records the bucket it reserved in, and cancelling reads and releases only that bucket', async () => {
    const { productId, place } = await shop(32, 16);
    const { orderId } = await place(2, 5);
    const [placed] = await store.readStream(`order-${orderId}`);
    expect(placed).toMatchObject({ schemaVersion: 2, data: { reservedIn: [{ productId, buckets: [5] }] } });

    const read: string[] = [];
    await run(decideOnOrder(lifecycle.cancel(orderId)), read);

    expect(bucketsIn(read)).toEqual([stockBucketStreamId(productId, 5)]);
    expect(await storedStock(raw, productId)).toMatchObject({ onHand: 32, reserved: 0, available: 32, reservations: {} });
  });

  it('ships an order gathered from several buckets from those buckets only', async () => {
    // One unit per bucket: an order of 3 starting at bucket 2 takes buckets 2, 3 and 4.
    const { productId, place } = await shop(8, 8);
    const { orderId } = await place(3, 2);
    const [placed] = await store.readStream(`order-${orderId}`);
    expect(placed!.data).toMatchObject({ reservedIn: [{ productId, buckets: [2, 3, 4] }] });

    await run(decideOnOrder(lifecycle.pay(orderId)));
    const read: string[] = [];
    await run(decideOnOrder(lifecycle.ship(orderId)), read);

    expect(bucketsIn(read)).toEqual([2, 3, 4].map((b) => stockBucketStreamId(productId, b)));
    const stock = await storedStock(raw, productId);
    expect(stock).toMatchObject({ onHand: 5, reserved: 0, available: 5, sold: 3 });
    expect(stock.availableByBucket).toEqual([1, 1, 0, 0, 0, 1, 1, 1]);
  });

  it('cancels and ships orders stored before orders named their buckets (OrderPlaced v1), looking in every bucket', async () => {
    const { productId, customerId } = await shop(16, 4);
    const lines = [{ productId, productName: 'Lamp', quantity: 3, unitPriceCents: 1000 }];
    const placedV1 = (orderId: string): NewEvent => ({
      eventId: randomUUID(),
      type: 'OrderPlaced',
      schemaVersion: 1,
      data: { orderId, customerId, lines, totalCents: 3000, placedAt: '2026-11-01T09:00:00.000Z' },
      occurredAt: '2026-11-01T09:00:00.000Z',
      metadata: { correlationId: 'old-writer', causationId: null },
    });
    // As the code before this change wrote them: the order in v1, its units in buckets 1 and 3 (2 + 1 for
    // the one to cancel, 3 in bucket 3 for the one to ship), beside another order's unit in bucket 1.
    const [toCancel, toShip] = [randomUUID(), randomUUID()];
    await raw.appendToStreams([
      { streamId: `order-${toCancel}`, expectedVersion: 0, events: [placedV1(toCancel)] },
      { streamId: `order-${toShip}`, expectedVersion: 0, events: [placedV1(toShip)] },
    ]);
    await append(store, stockBucketStreamId(productId, 1), 0, [
      stockReserved(productId, toCancel, 2),
      stockReserved(productId, 'other', 1),
    ]);
    await append(store, stockBucketStreamId(productId, 3), 0, [stockReserved(productId, toCancel, 1), stockReserved(productId, toShip, 3)]);
    expect((await raw.readStream(`order-${toCancel}`))[0]).toMatchObject({ schemaVersion: 1 });

    const cancelRead: string[] = [];
    await run(decideOnOrder(lifecycle.cancel(toCancel)), cancelRead);
    await run(decideOnOrder(lifecycle.pay(toShip)));
    await run(decideOnOrder(lifecycle.ship(toShip)));

    expect(bucketsIn(cancelRead)).toHaveLength(4);
    const stock = await storedStock(raw, productId);
    expect(stock.reservations).toEqual({ other: 1 });
    expect(stock).toMatchObject({ onHand: 13, reserved: 1, available: 12, sold: 3 });
    const released = stock.bucketEvents.flat().filter((e) => e.type === 'StockReservationReleased');
    expect(released.map((e) => [e.streamId, e.data])).toEqual([
      [stockBucketStreamId(productId, 1), { productId, orderId: toCancel, quantity: 2 }],
      [stockBucketStreamId(productId, 3), { productId, orderId: toCancel, quantity: 1 }],
    ]);
  });

  it('releases exactly the cancelled order’s unit while other orders race for the same bucket, and never oversells', async () => {
    // One unit per bucket; the order to cancel holds bucket 0's, and every racer starts at bucket 0.
    const { productId, place } = await shop(4, 4);
    const { orderId: cancelled } = await place(1, 0);
    const racers = Array.from({ length: 6 }, () => place(1, 0).then(({ orderId }) => orderId));
    const [, ...outcomes] = await Promise.allSettled([run(decideOnOrder(lifecycle.cancel(cancelled))), ...racers]);

    const winners = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'PRODUCT.INSUFFICIENT_STOCK' });
    // 3 units were free, 4 once the cancellation committed: which depends on the race, the sums never do.
    expect(winners.length).toBeGreaterThanOrEqual(3);
    const stock = await storedStock(raw, productId);
    expect(Object.keys(stock.reservations).sort()).toEqual([...winners].sort());
    expect(stock).toMatchObject({ onHand: 4, reserved: winners.length, available: 4 - winners.length });
    expect((await raw.readStream(`order-${cancelled}`)).map((e) => e.type)).toEqual(['OrderPlaced', 'OrderCancelled']);
  });

  it('moves an order’s units once when its shipment and its cancellation race: one wins, the other is refused', async () => {
    const { productId, place } = await shop(20, 4);
    const orders = await Promise.all(Array.from({ length: 4 }, (_, i) => place(2, i).then(({ orderId }) => orderId)));
    await Promise.all(orders.map((orderId) => run(decideOnOrder(lifecycle.pay(orderId)))));

    const races = await Promise.all(
      orders.map((orderId) =>
        Promise.allSettled([run(decideOnOrder(lifecycle.ship(orderId))), run(decideOnOrder(lifecycle.cancel(orderId)))]),
      ),
    );

    let shipped = 0;
    for (const [i, [ship, cancel]] of races.entries()) {
      expect([ship.status, cancel.status].sort()).toEqual(['fulfilled', 'rejected']);
      const refused = ship.status === 'rejected' ? ship.reason : (cancel as PromiseRejectedResult).reason;
      expect(refused).toBeInstanceOf(InvalidOrderTransitionError);
      const last = (await raw.readStream(`order-${orders[i]}`)).at(-1);
      expect(last?.type).toBe(ship.status === 'fulfilled' ? 'OrderShipped' : 'OrderCancelled');
      if (ship.status === 'fulfilled') shipped++;
    }
    const stock = await storedStock(raw, productId);
    expect(stock).toMatchObject({ onHand: 20 - 2 * shipped, reserved: 0, available: 20 - 2 * shipped, sold: 2 * shipped });
    const moves = stock.bucketEvents.flat().filter((e) => e.type === 'ReservedStockShipped' || e.type === 'StockReservationReleased');
    expect(moves).toHaveLength(orders.length);
  });
});
