/**
 * PlaceOrder, ShipOrder and CancelOrder on a product whose stock is split over buckets: an order reserves in
 * the bucket it picked when that bucket has the units, gathers them from several buckets in one decision when
 * it has not, and is refused only when the product as a whole lacks them. The order records the buckets it
 * reserved in; shipping or cancelling it reads only those (every bucket for an order placed before it did).
 */
import { describe, expect, it } from 'vitest';
import type { BucketPicker } from '../../src/catalog/decideOnProductStock.ts';
import { InsufficientStockError, ProductDiscontinuedError } from '../../src/catalog/productErrors.ts';
import { stockBucketStreamId } from '../../src/catalog/productEvents.ts';
import type { StreamLoader } from '../../src/core/commandHandler.ts';
import { decideOnNewOrder, decideOnOrder } from '../../src/orders/decideOnOrder.ts';
import type { OrderLifecycleCommand } from '../../src/orders/orderDecider.ts';
import type { ReservedBuckets } from '../../src/orders/orderEvents.ts';
import type { PlaceOrderRequest } from '../../src/orders/placeOrder.ts';
import { commandSpec } from '../support/deciderSpec.ts';
import {
  bucketedProductAdded,
  customerRegistered,
  line,
  orderCancelled,
  orderPaymentConfirmed,
  orderPlaced,
  orderShipped,
  productDiscontinued,
  productRestocked,
  reservedStockShipped,
  stockReservationReleased,
  stockReserved,
  T0,
  T2,
} from '../support/shopFixtures.ts';

/** Always starts at `bucket`, so a specification says which bucket an order tries first. */
const startAt =
  (bucket: number): BucketPicker =>
  () =>
    bucket;
const placingFrom = (bucket: number) => commandSpec((request: PlaceOrderRequest) => decideOnNewOrder(request, startAt(bucket)));
const bucket = (n: number) => stockBucketStreamId('kettle', n);

// 10 kettles over 4 buckets: 3, 3, 2, 2.
const shop = {
  'customer-c1': [customerRegistered('c1')],
  'product-kettle': [bucketedProductAdded('kettle', 2500, 10, 4)],
};
/** OrderPlaced for o1's kettles, reserved in the buckets given. */
const placedIn = (quantity: number, buckets: number[]) =>
  orderPlaced('o1', 'c1', [line('kettle', quantity, 2500)], T0, [{ productId: 'kettle', buckets }]);
const order = (quantity: number): PlaceOrderRequest => ({
  type: 'PlaceOrder',
  orderId: 'o1',
  customerId: 'c1',
  lines: [{ productId: 'kettle', quantity }],
  placedAt: T0,
});

describe('PlaceOrder, stock in buckets', () => {
  it('reserves in the bucket it picked when that bucket has the units, and reads no other', async () => {
    await placingFrom(2)
      .given(shop)
      .when(order(2))
      .then({ 'order-o1': [placedIn(2, [2])], [bucket(2)]: [stockReserved('kettle', 'o1', 2)] }, { orderId: 'o1', totalCents: 5000 });
  });

  it('gathers the units from the next buckets round when the picked one has too few, in one decision', async () => {
    await placingFrom(3)
      .given(shop)
      .when(order(6))
      .then({
        'order-o1': [placedIn(6, [3, 0, 1])],
        [bucket(3)]: [stockReserved('kettle', 'o1', 2)],
        [bucket(0)]: [stockReserved('kettle', 'o1', 3)],
        [bucket(1)]: [stockReserved('kettle', 'o1', 1)],
      });
  });

  it('finds the last units when they all sit in one bucket the order did not pick', async () => {
    await placingFrom(0)
      .given({
        ...shop,
        [bucket(0)]: [stockReserved('kettle', 'a', 3)],
        [bucket(1)]: [stockReserved('kettle', 'b', 3)],
        [bucket(2)]: [stockReserved('kettle', 'c', 2)],
      })
      .when(order(2))
      .then({ 'order-o1': [placedIn(2, [3])], [bucket(3)]: [stockReserved('kettle', 'o1', 2)] });
  });

  it('counts units restocked into a bucket', async () => {
    await placingFrom(2)
      .given({ ...shop, [bucket(2)]: [stockReserved('kettle', 'a', 2), productRestocked('kettle', 4)] })
      .when(order(4))
      .then({ 'order-o1': [placedIn(4, [2])], [bucket(2)]: [stockReserved('kettle', 'o1', 4)] });
  });

  it('refuses only when the product as a whole lacks the units, and says how many it has', async () => {
    const given = { ...shop, [bucket(0)]: [stockReserved('kettle', 'a', 3)], [bucket(1)]: [stockReserved('kettle', 'b', 2)] };
    await placingFrom(0).given(given).when(order(6)).thenThrows(InsufficientStockError, 'PRODUCT.INSUFFICIENT_STOCK');
    const refusal = await decideOnNewOrder(order(6), startAt(0))(loaderOver(given)).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ requested: 6, available: 5 });
  });

  it('refuses when a discontinue reached the bucket, even if the product stream was read before it', async () => {
    await placingFrom(1)
      .given({ ...shop, [bucket(1)]: [productDiscontinued('kettle')] })
      .when(order(1))
      .thenThrows(ProductDiscontinuedError, 'PRODUCT.DISCONTINUED');
  });

  it('refuses a discontinued product', async () => {
    await placingFrom(1)
      .given({ ...shop, 'product-kettle': [...shop['product-kettle'], productDiscontinued('kettle')] })
      .when(order(1))
      .thenThrows(ProductDiscontinuedError, 'PRODUCT.DISCONTINUED');
  });
});

describe('ShipOrder and CancelOrder, stock in buckets', () => {
  const lines = [line('kettle', 4, 2500)];
  // o1 holds 3 units in bucket 1 and 1 in bucket 2; o2 holds one in bucket 2.
  const stock = {
    'customer-c1': [customerRegistered('c1')],
    'product-kettle': shop['product-kettle'],
    [bucket(1)]: [stockReserved('kettle', 'o1', 3)],
    [bucket(2)]: [stockReserved('kettle', 'o2', 1), stockReserved('kettle', 'o1', 1)],
  };
  const paidOrder = (reservedIn: ReservedBuckets[] | null) => [
    orderPlaced('o1', 'c1', lines, T0, reservedIn),
    orderPaymentConfirmed('o1', 'c1', 10_000),
  ];
  const naming = { ...stock, 'order-o1': paidOrder([{ productId: 'kettle', buckets: [1, 2] }]) };
  // Placed before orders recorded their buckets: OrderPlaced v1, upcast with `reservedIn: null`.
  const placedBefore = { ...stock, 'order-o1': paidOrder(null) };
  const spec = commandSpec(decideOnOrder);
  const ship: OrderLifecycleCommand = { type: 'ShipOrder', orderId: 'o1', shippedAt: T2 };
  const cancel: OrderLifecycleCommand = { type: 'CancelOrder', orderId: 'o1', reason: 'changed my mind', cancelledAt: T2 };

  describe.each([
    ['an order that names its buckets', naming],
    ['an order placed before orders named their buckets', placedBefore],
  ])('%s', (_name, given) => {
    it('ships the order’s units from every bucket that holds them', async () => {
      await spec
        .given(given)
        .when(ship)
        .then({
          'order-o1': [orderShipped('o1', 'c1', lines)],
          [bucket(1)]: [reservedStockShipped('kettle', 'o1', 3)],
          [bucket(2)]: [reservedStockShipped('kettle', 'o1', 1)],
        });
    });

    it('releases the order’s units in every bucket that holds them, and leaves other orders’ units alone', async () => {
      await spec
        .given(given)
        .when(cancel)
        .then({
          'order-o1': [orderCancelled('o1', 'c1', lines, 'PAID', { reason: 'changed my mind', cancelledAt: T2 })],
          [bucket(1)]: [stockReservationReleased('kettle', 'o1', 3)],
          [bucket(2)]: [stockReservationReleased('kettle', 'o1', 1)],
        });
    });
  });

  it.each([ship, cancel])(
    '$type reads only the buckets the order names, and every bucket for an order that names none',
    async (command) => {
      const bucketsRead = async (given: Record<string, unknown[]>) => {
        const read: string[] = [];
        await decideOnOrder(command)(loaderOver(given, read));
        return read.filter((streamId) => streamId.startsWith('productStock-')).sort();
      };
      expect(await bucketsRead(naming)).toEqual([bucket(1), bucket(2)]);
      expect(await bucketsRead(placedBefore)).toEqual([bucket(0), bucket(1), bucket(2), bucket(3)]);
    },
  );
});

/**
 * A loader over given streams, as commandSpec's, for checking what a refusal tells the caller and which
 * streams a decision reads (each stream read is added to `read`).
 */
function loaderOver(streams: Record<string, unknown[]>, read: string[] = []): StreamLoader {
  return {
    async aggregate(streamId, evolution) {
      read.push(streamId);
      const events = (streams[streamId] ?? []) as never[];
      return { state: events.reduce(evolution.evolve, evolution.initialState()), version: events.length };
    },
  };
}
