/**
 * The shop end to end: two orders walk their whole lifecycles through the API (one placed, paid and
 * shipped; one placed, paid and cancelled), and every read model they touch ends up telling the same
 * story, through the real outbox, Pub/Sub, push subscriptions and projector functions.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stockBucketStreamId } from '../src/catalog/productEvents.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { inventoryCountProjection, type InventoryCount } from '../src/projections/inventoryCount.ts';
import { orderDetailsProjection, type OrderDetails } from '../src/projections/orderDetails.ts';
import { boughtTogether, recommendationsProjection, type Recommendations } from '../src/projections/recommendations.ts';
import { SALES_SUMMARY_ID, salesDashboardProjection, type SalesFigures } from '../src/projections/salesDashboard.ts';
import { asIssuerOf } from './support/identities.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(() => pipeline?.stop());

async function command(name: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const inputType = `${name.charAt(0).toUpperCase()}${name.slice(1)}Input`;
  const { data, errors } = await graphql<Record<string, Record<string, unknown>>>(
    pipeline.api,
    `mutation ($input: ${inputType}!) { ${name}(input: $input) { __typename ... on Error { code message }${name === 'placeOrder' ? ' ... on PlaceOrderPayload { orderId }' : ''} } }`,
    { input },
    await asIssuerOf(name, input),
  );
  expect(errors).toBeUndefined();
  const result = data![name]!;
  expect(result.code, JSON.stringify(result)).toBeUndefined();
  return result;
}

const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 30_000, interval: 100 });

describe('an order lifecycle across every read model', () => {
  it('ships one order and cancels another after payment, and every view agrees', async () => {
    const suffix = randomUUID().slice(0, 8);
    const lamp = `lamp-${suffix}`;
    const bulb = `bulb-${suffix}`;
    const customerId = `c-${suffix}`;
    // One stock bucket, so the lamp's stock story reads in one stream below.
    await command('addProduct', {
      productId: lamp,
      name: 'Lamp',
      priceCents: 2000,
      initialStock: 10,
      lowStockThreshold: 3,
      stockBuckets: 1,
    });
    await command('addProduct', { productId: bulb, name: 'Bulb', priceCents: 500, initialStock: 5, lowStockThreshold: 2 });
    await command('registerCustomer', { customerId, name: 'Grace Hopper', email: 'grace@example.com' });

    const shipped = (
      await command('placeOrder', {
        customerId,
        lines: [
          { productId: lamp, quantity: 2 },
          { productId: bulb, quantity: 1 },
        ],
      })
    ).orderId as string;
    await command('confirmOrderPayment', { orderId: shipped, paymentReference: 'psp-1' });
    await command('shipOrder', { orderId: shipped });

    const cancelled = (
      await command('placeOrder', {
        customerId,
        lines: [
          { productId: lamp, quantity: 1 },
          { productId: bulb, quantity: 2 },
        ],
      })
    ).orderId as string;
    await command('confirmOrderPayment', { orderId: cancelled, paymentReference: 'psp-2' });
    await command('cancelOrder', { orderId: cancelled, reason: 'changed their mind' });

    const get = <View>(projection: Parameters<typeof pipeline.readModels.get>[0], id: string) =>
      pipeline.readModels.get(projection, id) as Promise<View | null>;

    await eventually(async () => {
      const details = await get<OrderDetails>(orderDetailsProjection, shipped);
      expect(details).toMatchObject({ status: 'SHIPPED', totalCents: 4500, paymentReference: 'psp-1' });
      expect(details!.timeline.map((t) => t.status)).toEqual(['PLACED', 'PAID', 'SHIPPED']);
      expect(details!.lines.map((l) => [l.productId, l.quantity, l.unitPriceCents, l.lineTotalCents])).toEqual([
        [lamp, 2, 2000, 4000],
        [bulb, 1, 500, 500],
      ]);
      const other = await get<OrderDetails>(orderDetailsProjection, cancelled);
      expect(other!.timeline.map((t) => t.status)).toEqual(['PLACED', 'PAID', 'CANCELLED']);
    });

    await eventually(async () => {
      const history = await get<CustomerOrderHistory>(customerOrderHistoryProjection, customerId);
      expect(history).toMatchObject({ name: 'Grace Hopper', orderCount: 2, totalSpentCents: 4500 });
      expect(history!.orders[shipped]).toMatchObject({ status: 'SHIPPED', totalCents: 4500, itemCount: 3 });
      expect(history!.orders[cancelled]).toMatchObject({ status: 'CANCELLED', totalCents: 3000 });
    });

    await eventually(async () => {
      // Shipping took the lamps and the bulb off the shelf; the cancelled order gave its units back.
      expect(await get<InventoryCount>(inventoryCountProjection, lamp)).toMatchObject({
        onHand: 8,
        reserved: 0,
        available: 8,
        sold: 2,
        lowStock: false,
      });
      expect(await get<InventoryCount>(inventoryCountProjection, bulb)).toMatchObject({
        onHand: 4,
        reserved: 0,
        available: 4,
        sold: 1,
        lowStock: false,
      });
    });

    await eventually(async () => {
      // Bought together once: the cancelled order's pair was taken back.
      const lampRecommendations = await get<Recommendations>(recommendationsProjection, lamp);
      expect(boughtTogether(lampRecommendations!, lamp, 5)).toEqual([{ productId: bulb, count: 1 }]);
    });

    await eventually(async () => {
      const summary = await get<SalesFigures>(salesDashboardProjection, SALES_SUMMARY_ID);
      expect(summary).toMatchObject({
        orders: 1,
        revenueCents: 4500,
        units: 3,
        ordersByStatus: { PLACED: 0, PAID: 0, SHIPPED: 1, CANCELLED: 1 },
      });
      expect(summary!.perProduct[lamp]).toMatchObject({ units: 2, revenueCents: 4000 });
    });

    // And the event store tells the same story the views were built from.
    expect((await pipeline.store.readStream(`product-${lamp}`)).map((e) => e.type)).toEqual(['ProductAdded']);
    const lampStock = await pipeline.store.readStream(stockBucketStreamId(lamp, 0));
    expect(lampStock.map((e) => e.type)).toEqual(['StockReserved', 'ReservedStockShipped', 'StockReserved', 'StockReservationReleased']);
  }, 90_000);
});
