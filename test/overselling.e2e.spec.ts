/**
 * No overselling under concurrency, with the stock split over buckets: orders race for the last units of
 * one product through the real API, event store and pipeline. Exactly as many win as there are units, the
 * rest are told INSUFFICIENT_STOCK, also when the last units sit in one bucket the orders did not start at;
 * restock, cancel, ship and discontinue keep the counts exact; the event store and the read models agree.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productAdded, productRestocked } from '../test/support/shopFixtures.ts';
import { stockBucketStreamId } from '../src/catalog/productEvents.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { inventoryCountProjection, type InventoryCount } from '../src/projections/inventoryCount.ts';
import { append } from './support/commits.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { PLACE_ORDER } from './support/orders.ts';
import { storedStock } from './support/productStock.ts';

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
const STAFF_COMMAND = (name: string, input: string) => /* GraphQL */ `
  mutation ($input: ${input}!) { ${name}(input: $input) { __typename ... on Error { code } } }
`;

type OrderOutcome = { __typename: string; code?: string; orderId?: string; message?: string };

async function newCustomer(): Promise<{ customerId: string; headers: Record<string, string> }> {
  const customerId = `c-${randomUUID().slice(0, 8)}`;
  const headers = await asCustomer(customerId);
  await graphql(pipeline.api, REGISTER, { input: { customerId, name: 'Eager', email: 'eager@example.com' } }, headers);
  return { customerId, headers };
}

/** `count` orders of `quantity` units, all at once over real HTTP. */
function orders(customer: { customerId: string; headers: Record<string, string> }, productId: string, count: number, quantity = 1) {
  return Promise.all(
    Array.from({ length: count }, async (): Promise<OrderOutcome> => {
      const response = await fetch(pipeline.httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...customer.headers },
        body: JSON.stringify({
          query: PLACE_ORDER,
          variables: { input: { customerId: customer.customerId, lines: [{ productId, quantity }] } },
        }),
      });
      const body = (await response.json()) as { data: { placeOrder: OrderOutcome } | null };
      if (!body.data) throw new Error(`placeOrder failed: HTTP ${response.status} ${JSON.stringify(body)}`);
      return body.data.placeOrder;
    }),
  );
}

async function staff(role: 'catalog' | 'fulfilment', name: string, input: Record<string, unknown>): Promise<string> {
  const inputType = `${name.charAt(0).toUpperCase()}${name.slice(1)}Input`;
  const { data } = await graphql<Record<string, { __typename: string; code?: string }>>(
    pipeline.api,
    STAFF_COMMAND(name, inputType),
    { input },
    await asStaff(role),
  );
  return data?.[name]?.code ?? data?.[name]?.__typename ?? 'none';
}

/** The inventory read model, once it shows `expected` (the projector runs behind the commit). */
async function inventoryOnceItShows(productId: string, expected: Partial<InventoryCount>): Promise<void> {
  await expect
    .poll(
      async () => {
        const view = await pipeline.readModels.get<InventoryCount>(inventoryCountProjection, productId);
        return view && Object.fromEntries(Object.keys(expected).map((k) => [k, view[k as keyof InventoryCount]]));
      },
      { timeout: 30_000, interval: 100 },
    )
    .toEqual(expected);
}

const won = (results: OrderOutcome[]) => results.filter((r) => r.__typename === 'PlaceOrderPayload');
const refused = (results: OrderOutcome[]) => results.filter((r) => r.__typename === 'InsufficientStock');

describe('no overselling', () => {
  it('50 concurrent orders for 10 units split over buckets: exactly 10 succeed, 40 get INSUFFICIENT_STOCK, and everything agrees', async () => {
    const productId = `hot-${randomUUID().slice(0, 8)}`;
    // The default number of buckets: more buckets than units, so most buckets hold one unit and some none.
    await graphql(
      pipeline.api,
      ADD_PRODUCT,
      { input: { productId, name: 'Hot item', priceCents: 1999, initialStock: 10 } },
      await asStaff('catalog'),
    );
    const customer = await newCustomer();

    const results = await orders(customer, productId, 50);

    const placed = won(results);
    expect(placed).toHaveLength(10);
    expect(refused(results)).toHaveLength(40);
    expect(refused(results).every((r) => r.code === 'PRODUCT.INSUFFICIENT_STOCK')).toBe(true);

    // The event store: exactly the 10 winning orders hold a reservation, one unit each, and no bucket gave more than it had.
    const stock = await storedStock(pipeline.store, productId);
    expect(stock.availableByBucket.length).toBeGreaterThan(1);
    expect(stock).toMatchObject({ onHand: 10, reserved: 10, available: 0, sold: 0 });
    expect(Object.keys(stock.reservations).sort()).toEqual(placed.map((p) => p.orderId).sort());
    for (const { orderId } of placed) {
      expect(await pipeline.store.readStream(`order-${orderId}`)).toHaveLength(1);
    }

    // The read models catch up to the same truth.
    await expect
      .poll(
        async () => (await pipeline.readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customer.customerId))?.orderCount,
        {
          timeout: 30_000,
          interval: 100,
        },
      )
      .toBe(10);
    const history = await pipeline.readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customer.customerId);
    expect(Object.keys(history!.orders).sort()).toEqual(placed.map((p) => p.orderId).sort());
    expect(history!.totalSpentCents).toBe(10 * 1999);
    await inventoryOnceItShows(productId, { onHand: 10, reserved: 10, available: 0, sold: 0 });
  }, 180_000);

  it('finds the last units in the one bucket that still has them, for racing orders and for an order larger than any bucket', async () => {
    // Eight buckets, all empty but bucket 5 (3 units) and bucket 2 (2 units), as after a run of orders.
    const productId = `last-${randomUUID().slice(0, 8)}`;
    await append(pipeline.store, `product-${productId}`, 0, [productAdded(productId, 1500, 0, 'Last ones', 8)]);
    await append(pipeline.store, stockBucketStreamId(productId, 5), 0, [productRestocked(productId, 3)]);
    await append(pipeline.store, stockBucketStreamId(productId, 2), 0, [productRestocked(productId, 2)]);
    const customer = await newCustomer();

    // One order for 4: more than any bucket holds, so it gathers them from both in one commit.
    const [big] = await orders(customer, productId, 1, 4);
    expect(big).toMatchObject({ __typename: 'PlaceOrderPayload' });
    const afterBig = await storedStock(pipeline.store, productId);
    expect(afterBig.reservations).toEqual({ [big!.orderId!]: 4 });
    expect(afterBig.availableByBucket.reduce((a, b) => a + b, 0)).toBe(1);

    // The last unit sits in one bucket; 20 orders race for it, each starting at a bucket of its own.
    const results = await orders(customer, productId, 20);
    expect(won(results)).toHaveLength(1);
    expect(refused(results)).toHaveLength(19);
    expect(refused(results)[0]).toMatchObject({ code: 'PRODUCT.INSUFFICIENT_STOCK' });

    const stock = await storedStock(pipeline.store, productId);
    expect(stock).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
    expect(stock.availableByBucket).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    await inventoryOnceItShows(productId, { onHand: 5, reserved: 5, available: 0 });
  }, 120_000);

  it('keeps the counts exact through cancel, ship, restock and discontinue, with the stock in buckets', async () => {
    const productId = `cycle-${randomUUID().slice(0, 8)}`;
    await graphql(
      pipeline.api,
      ADD_PRODUCT,
      { input: { productId, name: 'Cycled', priceCents: 1000, initialStock: 4, stockBuckets: 4 } },
      await asStaff('catalog'),
    );
    const customer = await newCustomer();

    const first = won(await orders(customer, productId, 6));
    expect(first).toHaveLength(4);

    // Cancelling one order frees its unit for exactly one more order.
    expect(await staff('fulfilment', 'cancelOrder', { orderId: first[0]!.orderId })).toBe('OrderCommandPayload');
    expect(won(await orders(customer, productId, 3))).toHaveLength(1);

    // Shipping one turns its reservation into a sale: on hand and reserved both drop by one.
    expect(await staff('fulfilment', 'confirmOrderPayment', { orderId: first[1]!.orderId, paymentReference: 'psp-1' })).toBe(
      'OrderCommandPayload',
    );
    expect(await staff('fulfilment', 'shipOrder', { orderId: first[1]!.orderId })).toBe('OrderCommandPayload');
    expect(await storedStock(pipeline.store, productId)).toMatchObject({ onHand: 3, reserved: 3, available: 0, sold: 1 });

    // A restock is shared out over the buckets, and every unit of it can be sold.
    expect(await staff('catalog', 'restockProduct', { productId, quantity: 6 })).toBe('ProductCommandPayload');
    const afterRestock = await storedStock(pipeline.store, productId);
    expect(afterRestock.availableByBucket.every((units) => units >= 1)).toBe(true);
    const second = await orders(customer, productId, 10);
    expect(won(second)).toHaveLength(6);
    expect(refused(second)).toHaveLength(4);

    // Discontinued: a restock is still counted, and no order gets through.
    expect(await staff('catalog', 'discontinueProduct', { productId })).toBe('ProductCommandPayload');
    expect(await staff('catalog', 'restockProduct', { productId, quantity: 2 })).toBe('ProductCommandPayload');
    const late = await orders(customer, productId, 3);
    expect(late.map((r) => r.code)).toEqual(['PRODUCT.DISCONTINUED', 'PRODUCT.DISCONTINUED', 'PRODUCT.DISCONTINUED']);

    const stock = await storedStock(pipeline.store, productId);
    expect(stock).toMatchObject({ onHand: 11, reserved: 9, available: 2, sold: 1 });
    await inventoryOnceItShows(productId, { onHand: 11, reserved: 9, available: 2, sold: 1, status: 'DISCONTINUED' });
  }, 120_000);
});
