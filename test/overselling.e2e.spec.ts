/**
 * No overselling under concurrency: 50 orders race for the last 10 units of one product through the
 * real API, event store and pipeline. Exactly 10 win; the rest are told INSUFFICIENT_STOCK; the event
 * store and the read models agree afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableUnits, evolveProduct, initialProduct, reservedUnits } from '../src/catalog/product.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { PLACE_ORDER } from './support/orders.ts';

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(() => pipeline?.stop());

const ADD_PRODUCT = /* GraphQL */ `
  mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename } }
`;
const REGISTER = /* GraphQL */ `
  mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename } }
`;

describe('no overselling', () => {
  it('50 concurrent orders for 10 units: exactly 10 succeed, 40 get INSUFFICIENT_STOCK, and everything agrees', async () => {
    const productId = `hot-${randomUUID().slice(0, 8)}`;
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await graphql(
      pipeline.api,
      ADD_PRODUCT,
      { input: { productId, name: 'Hot item', priceCents: 1999, initialStock: 10 } },
      await asStaff('catalog'),
    );
    const customer = await asCustomer(customerId);
    await graphql(pipeline.api, REGISTER, { input: { customerId, name: 'Eager', email: 'eager@example.com' } }, customer);

    // Over real HTTP, all at once.
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const response = await fetch(pipeline.httpUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...customer },
          body: JSON.stringify({ query: PLACE_ORDER, variables: { input: { customerId, lines: [{ productId, quantity: 1 }] } } }),
        });
        const body = (await response.json()) as { data: { placeOrder: { __typename: string; code?: string; orderId?: string } } | null };
        if (!body.data) throw new Error(`placeOrder failed: HTTP ${response.status} ${JSON.stringify(body)}`);
        return body.data.placeOrder;
      }),
    );

    const placed = results.filter((r) => r.__typename === 'PlaceOrderPayload');
    const refused = results.filter((r) => r.__typename === 'InsufficientStock');
    expect(placed).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(refused.every((r) => r.code === 'PRODUCT.INSUFFICIENT_STOCK')).toBe(true);

    // The event store: exactly the 10 winning orders hold a reservation, one unit each.
    const productEvents = await pipeline.store.readStream(`product-${productId}`);
    const product = productEvents.reduce((s, e) => evolveProduct(s, e as never), initialProduct());
    if (product.status === 'NONE') throw new Error('product missing');
    expect(reservedUnits(product)).toBe(10);
    expect(availableUnits(product)).toBe(0);
    expect(Object.keys(product.reservations).sort()).toEqual(placed.map((p) => p.orderId).sort());
    for (const { orderId } of placed) {
      expect(await pipeline.store.readStream(`order-${orderId}`)).toHaveLength(1);
    }

    // The read models catch up to the same truth.
    await expect
      .poll(async () => (await pipeline.readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customerId))?.orderCount, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe(10);
    const history = await pipeline.readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customerId);
    expect(Object.keys(history!.orders).sort()).toEqual(placed.map((p) => p.orderId).sort());
    expect(history!.totalSpentCents).toBe(10 * 1999);
  });
});
