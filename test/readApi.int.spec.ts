/**
 * The read side of the GraphQL API over HTTP via yoga.fetch: products, orders, customers and the
 * sales dashboard, with Relay connections, over views the projector built on the Firestore emulator.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { testFirestore } from './support/firestore.ts';
import { asStaff, testTokens } from './support/identities.ts';
import { graphql as send } from './support/pipeline.ts';
import { readSideRecorder } from './support/readSide.ts';
import {
  customerRegistered,
  line,
  orderCancelled,
  orderPaymentConfirmed,
  orderPlaced,
  productAdded,
  productDiscontinued,
  stockReservationReleased,
  stockReserved,
} from './support/shopFixtures.ts';

const DAY1 = '2026-11-29T10:00:00.000Z';
const DAY2 = '2026-11-30T09:00:00.000Z';

const db = testFirestore();
const api = createApi({
  store: readSideRecorder(db).store,
  readModels: new FirestoreReadModels(db),
  logger: createLogger({ level: 'silent' }),
  clock: () => new Date('2026-11-30T12:00:00.000Z'),
  newId: randomUUID,
  tokens: testTokens(),
});

/** The read side as the operator sees it: every view. (Who else may read what is test/permissions.e2e.spec.ts.) */
async function graphql<T = Record<string, unknown>>(...[target, query, variables = {}]: Parameters<typeof send>) {
  return send<T>(target, query, variables, await asStaff('operator'));
}
afterAll(() => db.terminate());

const kettle = (q: number) => ({ ...line('sku-kettle', q, 2500), productName: 'Kettle' });
const mug = (q: number) => ({ ...line('sku-mug', q, 900), productName: 'Mug' });
const tea = (q: number) => ({ ...line('sku-tea', q, 1200), productName: 'Tea' });

beforeAll(async () => {
  const { record } = readSideRecorder(db);
  await Promise.all([
    record('product-sku-filter', [productAdded('sku-filter', 400, 3, 'Filter')], DAY1),
    record('product-sku-grinder', [productAdded('sku-grinder', 9900, 0, 'Grinder'), productDiscontinued('sku-grinder')], DAY1),
    record('product-sku-kettle', [productAdded('sku-kettle', 2500, 20, 'Kettle')], DAY1),
    record('product-sku-mug', [productAdded('sku-mug', 900, 20, 'Mug')], DAY1),
    record('product-sku-tea', [productAdded('sku-tea', 1200, 50, 'Tea')], DAY1),
    ...['c-1', 'c-2', 'c-3'].map((id) => record(`customer-${id}`, [customerRegistered(id, `Customer ${id}`, `${id}@example.com`)], DAY1)),
  ]);
  // o-1: day 1, paid. o-2: day 2, placed. o-3: day 2, cancelled.
  await record('order-o-1', [orderPlaced('o-1', 'c-1', [kettle(2), mug(1)], DAY1)], DAY1);
  await record('product-sku-kettle', [stockReserved('sku-kettle', 'o-1', 2)], DAY1);
  await record('product-sku-mug', [stockReserved('sku-mug', 'o-1', 1)], DAY1);
  await record('order-o-1', [orderPaymentConfirmed('o-1', 'c-1', 5900, { placedAt: DAY1, paidAt: DAY1, paymentReference: 'pay-1' })], DAY1);
  await record('order-o-2', [orderPlaced('o-2', 'c-1', [kettle(1), tea(3)], DAY2)], DAY2);
  await record('order-o-3', [orderPlaced('o-3', 'c-2', [mug(2)], DAY2)], DAY2);
  await record('product-sku-mug', [stockReserved('sku-mug', 'o-3', 2)], DAY2);
  await record('order-o-3', [orderCancelled('o-3', 'c-2', [mug(2)], 'PLACED', { placedAt: DAY2, cancelledAt: DAY2 })], DAY2);
  await record('product-sku-mug', [stockReservationReleased('sku-mug', 'o-3', 2)], DAY2);
});

type Edge<T> = { cursor: string; node: T };
type PageInfo = { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
type Connection<T> = { edges: Array<Edge<T>>; pageInfo: PageInfo };

describe('product', () => {
  it('answers the catalog entry with its stock, and what is bought with it, with those products', async () => {
    const { data, errors } = await graphql(
      api,
      /* GraphQL */ `
        query ($id: ID!) {
          product(productId: $id) {
            id name priceCents status onHand reserved available sold lowStockThreshold lowStock version
            boughtTogether { productId count product { id name } }
          }
        }
      `,
      { id: 'sku-kettle' },
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      product: {
        id: 'sku-kettle',
        name: 'Kettle',
        priceCents: 2500,
        status: 'ACTIVE',
        onHand: 20,
        reserved: 2,
        available: 18,
        sold: 0,
        lowStockThreshold: 5,
        lowStock: false,
        version: 2,
        boughtTogether: [
          { productId: 'sku-mug', count: 1, product: { id: 'sku-mug', name: 'Mug' } },
          { productId: 'sku-tea', count: 1, product: { id: 'sku-tea', name: 'Tea' } },
        ],
      },
    });
  });

  it('answers null for a product not in the catalog', async () => {
    expect((await graphql(api, '{ product(productId: "nope") { id } }')).data).toEqual({ product: null });
  });

  it('leaves out a cancelled order from bought-together', async () => {
    const { data } = await graphql<{ product: { boughtTogether: unknown[] } }>(
      api,
      '{ product(productId: "sku-mug") { boughtTogether { productId count } } }',
    );
    expect(data?.product.boughtTogether).toEqual([{ productId: 'sku-kettle', count: 1 }]);
  });
});

describe('products connection', () => {
  const PRODUCTS = /* GraphQL */ `
    query ($first: Int, $after: String, $lowStock: Boolean) {
      products(first: $first, after: $after, lowStock: $lowStock) {
        edges { cursor node { id lowStock status } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  `;
  type Products = { products: Connection<{ id: string; lowStock: boolean; status: string }> };
  const page = async (variables: Record<string, unknown>) => {
    const { data, errors } = await graphql<Products>(api, PRODUCTS, variables);
    expect(errors).toBeUndefined();
    return data!.products;
  };
  const ids = (connection: Products['products']) => connection.edges.map((e) => e.node.id);

  it('pages forward through the catalog in product id order', async () => {
    const first = await page({ first: 2 });
    expect(ids(first)).toEqual(['sku-filter', 'sku-grinder']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect(ids(second)).toEqual(['sku-kettle', 'sku-mug']);
    expect(second.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const third = await page({ first: 2, after: second.pageInfo.endCursor });
    expect(ids(third)).toEqual(['sku-tea']);
    expect(third.pageInfo.hasNextPage).toBe(false);
  });

  it('answers an empty last page, and refuses a page size over 100 with PAGE.INVALID_SIZE', async () => {
    const all = await page({ first: 100 });
    expect(all.edges).toHaveLength(5);
    const after = await page({ first: 2, after: all.pageInfo.endCursor });
    expect(after).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    const { errors } = await graphql(api, PRODUCTS, { first: 101 });
    expect(errors?.[0]?.extensions?.code).toBe('PAGE.INVALID_SIZE');
  });

  it('filters on low stock: active products at or under their threshold only', async () => {
    const low = await page({ first: 10, lowStock: true });
    expect(low.edges.map((e) => e.node)).toEqual([{ id: 'sku-filter', lowStock: true, status: 'ACTIVE' }]);
  });

  it('rejects a cursor it did not issue with CURSOR.INVALID', async () => {
    const { errors } = await graphql(api, PRODUCTS, { first: 1, after: 'not a cursor!' });
    expect(errors?.[0]?.extensions?.code).toBe('CURSOR.INVALID');
  });
});

describe('order', () => {
  it('answers the order with its lines, their products now, the status timeline and the customer', async () => {
    const { data, errors } = await graphql(
      api,
      /* GraphQL */ `
        {
          order(orderId: "o-1") {
            orderId customerId totalCents status placedAt paymentReference version
            customer { name }
            lines { productId productName quantity unitPriceCents lineTotalCents product { name available } }
            timeline { status at }
          }
        }
      `,
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      order: {
        orderId: 'o-1',
        customerId: 'c-1',
        totalCents: 5900,
        status: 'PAID',
        placedAt: DAY1,
        paymentReference: 'pay-1',
        version: 2,
        customer: { name: 'Customer c-1' },
        lines: [
          {
            productId: 'sku-kettle',
            productName: 'Kettle',
            quantity: 2,
            unitPriceCents: 2500,
            lineTotalCents: 5000,
            product: { name: 'Kettle', available: 18 },
          },
          {
            productId: 'sku-mug',
            productName: 'Mug',
            quantity: 1,
            unitPriceCents: 900,
            lineTotalCents: 900,
            product: { name: 'Mug', available: 19 },
          },
        ],
        timeline: [
          { status: 'PLACED', at: DAY1 },
          { status: 'PAID', at: DAY1 },
        ],
      },
    });
  });

  it('answers null for an order not projected', async () => {
    expect((await graphql(api, '{ order(orderId: "o-unknown") { orderId } }')).data).toEqual({ order: null });
  });
});

describe('customers', () => {
  it('pages through customers in id order', async () => {
    const CUSTOMERS = /* GraphQL */ `
      query ($after: String) {
        customers(first: 2, after: $after) { edges { node { customerId name orderCount } } pageInfo { hasNextPage endCursor } }
      }
    `;
    type Customers = { customers: Connection<{ customerId: string; name: string; orderCount: number }> };
    const first = (await graphql<Customers>(api, CUSTOMERS)).data!.customers;
    expect(first.edges.map((e) => e.node)).toEqual([
      { customerId: 'c-1', name: 'Customer c-1', orderCount: 2 },
      { customerId: 'c-2', name: 'Customer c-2', orderCount: 1 },
    ]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await graphql<Customers>(api, CUSTOMERS, { after: first.pageInfo.endCursor })).data!.customers;
    expect(second.edges.map((e) => e.node.customerId)).toEqual(['c-3']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it("pages through a customer's orders, newest first", async () => {
    const ORDERS = /* GraphQL */ `
      query ($after: String) {
        customer(customerId: "c-1") {
          totalSpentCents
          orders(first: 1, after: $after) { edges { node { orderId status } } pageInfo { hasNextPage endCursor } }
        }
      }
    `;
    type Customer = { customer: { totalSpentCents: number; orders: Connection<{ orderId: string; status: string }> } };
    const first = (await graphql<Customer>(api, ORDERS)).data!.customer;
    expect(first.totalSpentCents).toBe(5900 + 6100);
    expect(first.orders.edges.map((e) => e.node)).toEqual([{ orderId: 'o-2', status: 'PLACED' }]);
    const second = (await graphql<Customer>(api, ORDERS, { after: first.orders.pageInfo.endCursor })).data!.customer;
    expect(second.orders.edges.map((e) => e.node)).toEqual([{ orderId: 'o-1', status: 'PAID' }]);
    expect(second.orders.pageInfo.hasNextPage).toBe(false);

    // A list inside one view pages backward too.
    const { data } = await graphql<Customer>(
      api,
      '{ customer(customerId: "c-1") { totalSpentCents orders(last: 1) { edges { node { orderId status } } pageInfo { hasNextPage endCursor } } } }',
    );
    expect(data?.customer.orders.edges.map((e) => e.node.orderId)).toEqual(['o-1']);
  });

  it('answers null for a customer not projected', async () => {
    expect((await graphql(api, '{ customer(customerId: "nobody") { customerId } }')).data).toEqual({ customer: null });
  });
});

describe('salesDashboard', () => {
  it('answers the summary, the last N UTC days (zeros where nothing sold) and top sellers with their products', async () => {
    const { data, errors } = await graphql(
      api,
      /* GraphQL */ `
        {
          salesDashboard(days: 3) {
            summary { orders revenueCents units ordersByStatus { placed paid shipped cancelled } }
            days { date orders revenueCents units ordersByStatus { placed cancelled } topSellers(limit: 1) { productId } }
            topSellers(limit: 3) { productId productName units revenueCents product { name available } }
          }
        }
      `,
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      salesDashboard: {
        summary: { orders: 2, revenueCents: 12000, units: 7, ordersByStatus: { placed: 1, paid: 1, shipped: 0, cancelled: 1 } },
        days: [
          { date: '2026-11-28', orders: 0, revenueCents: 0, units: 0, ordersByStatus: { placed: 0, cancelled: 0 }, topSellers: [] },
          {
            date: '2026-11-29',
            orders: 1,
            revenueCents: 5900,
            units: 3,
            ordersByStatus: { placed: 0, cancelled: 0 },
            topSellers: [{ productId: 'sku-kettle' }],
          },
          {
            date: '2026-11-30',
            orders: 1,
            revenueCents: 6100,
            units: 4,
            ordersByStatus: { placed: 1, cancelled: 1 },
            topSellers: [{ productId: 'sku-tea' }],
          },
        ],
        topSellers: [
          { productId: 'sku-kettle', productName: 'Kettle', units: 3, revenueCents: 7500, product: { name: 'Kettle', available: 18 } },
          { productId: 'sku-tea', productName: 'Tea', units: 3, revenueCents: 3600, product: { name: 'Tea', available: 50 } },
          { productId: 'sku-mug', productName: 'Mug', units: 1, revenueCents: 900, product: { name: 'Mug', available: 19 } },
        ],
      },
    });
  });

  it('refuses more days than it serves', async () => {
    const { errors } = await graphql(api, '{ salesDashboard(days: 1000) { summary { orders } } }');
    expect(errors?.[0]?.message).toMatch(/days/);
  });
});
