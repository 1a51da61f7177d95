/** The demo seed over real HTTP against the API served in-process, with the event store on the Firestore emulator. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CATALOG, DEMO_CUSTOMERS, planOrders, seedShop, type SeedSummary } from '../scripts/seed.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { testFirestore } from './support/firestore.ts';

const db = testFirestore();
const api = createApi({
  store: new FirestoreEventStore(db),
  readModels: new FirestoreReadModels(db),
  logger: createLogger({ level: 'silent' }),
  clock: () => new Date(),
  newId: randomUUID,
});
const server = createServer(api);
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await db.terminate();
});

// 40 orders of this seed include planned rejections of both kinds and every fate (checked below).
const SEED = 'seed-int-spec';
const ORDERS = 40;

interface StoredEvent {
  path: string;
  streamId: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
}

async function storedEvents(): Promise<StoredEvent[]> {
  const snapshot = await db.collectionGroup('events').get();
  return snapshot.docs.map((doc) => ({
    path: doc.ref.path,
    streamId: doc.get('streamId') as string,
    version: doc.get('version') as number,
    type: doc.get('type') as string,
    data: doc.get('data') as Record<string, unknown>,
  }));
}

function count(events: StoredEvent[], type: string): number {
  return events.filter((e) => e.type === type).length;
}

describe('seedShop', () => {
  const plan = planOrders(SEED, ORDERS);
  let first: SeedSummary;
  let afterFirst: StoredEvent[];

  it('plans every fate and both kinds of rejection for this seed, the same plan every time', () => {
    expect(planOrders(SEED, ORDERS)).toEqual(plan);
    expect(planOrders(SEED, ORDERS + 10).slice(0, plan.length)).toEqual(plan);
    const kinds = new Set(plan.map((o) => o.expectedRejection ?? o.fate));
    expect([...kinds].sort()).toEqual([
      'CANCELLED_PAID',
      'CANCELLED_UNPAID',
      'PAID',
      'PLACED',
      'PRODUCT.DISCONTINUED',
      'PRODUCT.INSUFFICIENT_STOCK',
      'SHIPPED',
    ]);
  });

  it('loads the catalog, the customers and the orders with their follow-ups through the API', { timeout: 120_000 }, async () => {
    first = await seedShop({ url, orders: ORDERS, seed: SEED, concurrency: 4 });
    afterFirst = await storedEvents();

    const ordinary = plan.filter((o) => !o.expectedRejection);
    const fates = (...fates: string[]) => ordinary.filter((o) => fates.includes(o.fate)).length;
    const rejections = (code: string) => plan.filter((o) => o.expectedRejection === code).length;
    expect(first).toMatchObject({
      products: { total: DEMO_CATALOG.length, added: DEMO_CATALOG.length, alreadyExisted: 0, discontinued: 1 },
      customers: { total: DEMO_CUSTOMERS.length, registered: DEMO_CUSTOMERS.length, alreadyRegistered: 0 },
      orders: {
        requested: ORDERS,
        placed: ordinary.length,
        paid: fates('PAID', 'SHIPPED', 'CANCELLED_PAID'),
        shipped: fates('SHIPPED'),
        cancelled: fates('CANCELLED_PAID', 'CANCELLED_UNPAID'),
        rejected: {
          'PRODUCT.INSUFFICIENT_STOCK': rejections('PRODUCT.INSUFFICIENT_STOCK'),
          'PRODUCT.DISCONTINUED': rejections('PRODUCT.DISCONTINUED'),
        },
      },
      commands: { replayed: 0 },
    });

    // The products, each added once, and the seasonal one discontinued.
    expect(count(afterFirst, 'ProductAdded')).toBe(DEMO_CATALOG.length);
    expect(new Set(afterFirst.filter((e) => e.type === 'ProductAdded').map((e) => e.data.productId))).toEqual(
      new Set(DEMO_CATALOG.map((p) => p.productId)),
    );
    expect(afterFirst.filter((e) => e.type === 'ProductDiscontinued').map((e) => e.streamId)).toEqual(['product-sku-pumpkin-candle']);
    expect(count(afterFirst, 'CustomerRegistered')).toBe(DEMO_CUSTOMERS.length);

    // Every order's stream tells its planned story, and its stock moved with it.
    expect(count(afterFirst, 'OrderPlaced')).toBe(first.orders.placed);
    expect(count(afterFirst, 'OrderPaymentConfirmed')).toBe(first.orders.paid);
    expect(count(afterFirst, 'OrderShipped')).toBe(first.orders.shipped);
    expect(count(afterFirst, 'OrderCancelled')).toBe(first.orders.cancelled);
    const orderStreams = new Map<string, string[]>();
    for (const e of afterFirst.filter((e) => e.streamId.startsWith('order-')).sort((a, b) => a.version - b.version)) {
      orderStreams.set(e.streamId, [...(orderStreams.get(e.streamId) ?? []), e.type]);
    }
    const stories = [...orderStreams.values()].map((types) => types.join(' > '));
    expect(new Set(stories)).toEqual(
      new Set([
        'OrderPlaced',
        'OrderPlaced > OrderPaymentConfirmed',
        'OrderPlaced > OrderPaymentConfirmed > OrderShipped',
        'OrderPlaced > OrderCancelled',
        'OrderPlaced > OrderPaymentConfirmed > OrderCancelled',
      ]),
    );
    const linesOf = (type: string) =>
      afterFirst.filter((e) => e.type === type).reduce((sum, e) => sum + (e.data.lines as unknown[]).length, 0);
    expect(count(afterFirst, 'StockReserved')).toBe(linesOf('OrderPlaced'));
    expect(count(afterFirst, 'ReservedStockShipped')).toBe(linesOf('OrderShipped'));
    expect(count(afterFirst, 'StockReservationReleased')).toBe(linesOf('OrderCancelled'));
  });

  it('appends nothing when run again with the same seed: every command is answered from its first result', { timeout: 120_000 }, async () => {
    expect(first, 'the first run must have passed').toBeDefined();
    const second = await seedShop({ url, orders: ORDERS, seed: SEED, concurrency: 4 });

    expect((await storedEvents()).map((e) => e.path).sort()).toEqual(afterFirst.map((e) => e.path).sort());
    expect(second.orders).toEqual(first.orders);
    expect(second.products).toEqual(first.products);
    expect(second.customers).toEqual(first.customers);
    expect(second.commands).toEqual({ succeeded: first.commands.succeeded, replayed: first.commands.succeeded });
  });

  it('fails clearly when no API answers at the URL', async () => {
    await expect(seedShop({ url: 'http://127.0.0.1:9/graphql', orders: 1 })).rejects.toThrow(
      /not reachable at http:\/\/127\.0\.0\.1:9\/graphql/,
    );
  });
});
