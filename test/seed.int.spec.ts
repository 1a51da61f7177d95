/**
 * The demo seed over real HTTP against the API served in-process, with the event store on the Firestore
 * emulator and its accounts and sign-ins on the Auth emulator.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, DEMO_STAFF, signIn } from '../scripts/identities.ts';
import { DEMO_CATALOG, DEMO_CUSTOMERS } from '../scripts/seed/demoShop.ts';
import { planOrders } from '../scripts/seed/orderPlan.ts';
import type { AuthEmulatorTarget } from '../scripts/seed/seedIdentities.ts';
import { seedShop, type SeedSummary } from '../scripts/seed/seedShop.ts';
import { DEFAULT_STOCK_BUCKETS } from '../src/catalog/addProduct.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { testFirestore } from './support/firestore.ts';
import { AUTH_PROJECT_ID, testTokens } from './support/identities.ts';

const db = testFirestore();
const tokens = testTokens();
const api = createApi({
  store: new FirestoreEventStore(db),
  readModels: new FirestoreReadModels(db),
  logger: createLogger({ level: 'silent' }),
  clock: () => new Date(),
  newId: randomUUID,
  tokens,
});
const server = createServer(api);
let url = '';
let authEmulator: AuthEmulatorTarget;

beforeAll(async () => {
  url = await listen(server);
  authEmulator = { host: process.env.FIREBASE_AUTH_EMULATOR_HOST!, projectId: AUTH_PROJECT_ID };
});
afterAll(async () => {
  await close(server);
  await db.terminate();
});

async function listen(httpServer: Server): Promise<string> {
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`;
}

async function close(httpServer: Server): Promise<void> {
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
}

/**
 * A server in front of the API that answers AUTH.UNAUTHENTICATED in its place, as the API does to an expired
 * or revoked token, whenever `refuse` says so; it records the bearer token of every request.
 */
async function refusingProxy(refuse: (body: string) => boolean) {
  const bearers: string[] = [];
  const proxy = createServer(async (request, response) => {
    const body = Buffer.concat(await request.toArray()).toString('utf8');
    const authorization = request.headers.authorization ?? '';
    bearers.push(authorization);
    if (refuse(body)) {
      response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      response.end(JSON.stringify({ errors: [{ message: 'The ID token has expired.', extensions: { code: 'AUTH.UNAUTHENTICATED' } }] }));
      return;
    }
    const headers = ['content-type', 'accept', 'authorization', 'x-correlation-id'].flatMap((name) => {
      const value = request.headers[name];
      return typeof value === 'string' ? [[name, value] as [string, string]] : [];
    });
    const forwarded = await fetch(url, { method: 'POST', headers, body });
    response.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'application/json' });
    response.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  return { url: await listen(proxy), bearers, close: () => close(proxy) };
}

// 40 orders of this seed include planned rejections of both kinds, every fate and cancellations by customers
// and by the shop (checked below).
const SEED = 'seed-int-spec';
const ORDERS = 40;

interface StoredEvent {
  path: string;
  streamId: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  metadata: { correlationId: string; command: string; actor: string; actorRole: string };
}

async function storedEvents(): Promise<StoredEvent[]> {
  const snapshot = await db.collectionGroup('events').get();
  return snapshot.docs.map((doc) => ({
    path: doc.ref.path,
    streamId: doc.get('streamId') as string,
    version: doc.get('version') as number,
    type: doc.get('type') as string,
    data: doc.get('data') as Record<string, unknown>,
    metadata: doc.get('metadata') as StoredEvent['metadata'],
  }));
}

function count(events: StoredEvent[], type: string): number {
  return events.filter((e) => e.type === type).length;
}

/** Starting the first run's 40 orders on a busy machine, and a second run on top of it. */
const RUN = 120_000;

/**
 * The seed's first run into this file's empty shop, and the events it left: run once, by whichever test
 * needs it first, so every test that uses it can run alone (`-t`) or in any order.
 */
let firstRunOnce: Promise<{ first: SeedSummary; afterFirst: StoredEvent[] }> | undefined;
function firstRun(): Promise<{ first: SeedSummary; afterFirst: StoredEvent[] }> {
  firstRunOnce ??= (async () => {
    const first = await seedShop({ url, orders: ORDERS, seed: SEED, concurrency: 4, authEmulator });
    return { first, afterFirst: await storedEvents() };
  })();
  return firstRunOnce;
}

describe('seedShop', () => {
  const plan = planOrders(SEED, ORDERS);

  it('plans every fate, both kinds of rejection and both kinds of canceller for this seed, the same plan every time', () => {
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
    const cancellers = plan.filter((o) => !o.expectedRejection && o.fate.startsWith('CANCELLED')).map((o) => o.cancelledBy);
    expect(new Set(cancellers)).toEqual(new Set(['customer', 'fulfilment']));
  });

  it('loads the catalog, the customers and the orders with their follow-ups through the API', { timeout: RUN }, async () => {
    const { first, afterFirst } = await firstRun();

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
    // One product discontinued: on its own stream and, so that no order races it, in each of its stock buckets.
    const discontinued = afterFirst.filter((e) => e.type === 'ProductDiscontinued');
    expect(new Set(discontinued.map((e) => e.data.productId))).toEqual(new Set(['sku-pumpkin-candle']));
    expect(discontinued.map((e) => e.streamId).filter((id) => id.startsWith('product-'))).toEqual(['product-sku-pumpkin-candle']);
    expect(discontinued).toHaveLength(1 + DEFAULT_STOCK_BUCKETS);
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
    // In units: a line's units may come from several of the product's stock buckets, an event each.
    const unitsOf = (type: string) =>
      afterFirst
        .filter((e) => e.type === type)
        .reduce((sum, e) => sum + (e.data.lines as Array<{ quantity: number }>).reduce((s, l) => s + l.quantity, 0), 0);
    const unitsMoved = (type: string) =>
      afterFirst.filter((e) => e.type === type).reduce((sum, e) => sum + (e.data as { quantity: number }).quantity, 0);
    expect(unitsMoved('StockReserved')).toBe(unitsOf('OrderPlaced'));
    expect(unitsMoved('ReservedStockShipped')).toBe(unitsOf('OrderShipped'));
    expect(unitsMoved('StockReservationReleased')).toBe(unitsOf('OrderCancelled'));
  });

  it('appends nothing when run again with the same seed: every command is answered from its first result', {
    timeout: 2 * RUN,
  }, async () => {
    const { first, afterFirst } = await firstRun();
    const second = await seedShop({ url, orders: ORDERS, seed: SEED, concurrency: 4, authEmulator });

    expect((await storedEvents()).map((e) => e.path).sort()).toEqual(afterFirst.map((e) => e.path).sort());
    expect(second.orders).toEqual(first.orders);
    expect(second.products).toEqual(first.products);
    expect(second.customers).toEqual(first.customers);
    expect(second.commands).toEqual({ succeeded: first.commands.succeeded, replayed: first.commands.succeeded });
  });

  it('sends every command signed in as whoever would send it in the shop, as the events record', { timeout: RUN }, async () => {
    const { afterFirst } = await firstRun();
    const catalog = DEMO_STAFF.find((s) => s.roles?.includes('catalog'))!.uid;
    const fulfilment = DEMO_STAFF.find((s) => s.roles?.includes('fulfilment'))!.uid;
    const orders = new Map(plan.map((o) => [`seed:${SEED}:order:${o.number}`, o]));
    const expected = (e: StoredEvent): { actor: string; actorRole: string } => {
      const order = orders.get(e.metadata.correlationId);
      switch (e.metadata.command) {
        case 'AddProduct':
        case 'DiscontinueProduct':
          return { actor: catalog, actorRole: 'catalog' };
        case 'RegisterCustomer':
          return { actor: String(e.data.customerId), actorRole: 'customer' };
        case 'PlaceOrder':
        case 'ConfirmOrderPayment':
          return { actor: order!.customerId, actorRole: 'customer' };
        case 'ShipOrder':
          return { actor: fulfilment, actorRole: 'fulfilment' };
        case 'CancelOrder':
          return order!.cancelledBy === 'fulfilment'
            ? { actor: fulfilment, actorRole: 'fulfilment' }
            : { actor: order!.customerId, actorRole: 'customer' };
        default:
          throw new Error(`an event of an unexpected command: ${JSON.stringify(e)}`);
      }
    };
    const principal = (e: StoredEvent) => ({ actor: e.metadata.actor, actorRole: e.metadata.actorRole });
    const wrong = afterFirst.filter((e) => JSON.stringify(principal(e)) !== JSON.stringify(expected(e)));
    expect(wrong.map((e) => ({ path: e.path, command: e.metadata.command, ...principal(e), expected: expected(e) }))).toEqual([]);

    // Every kind of principal shows up, and cancellations come from customers and from the shop.
    const roles = (type: string) => new Set(afterFirst.filter((e) => e.type === type).map((e) => e.metadata.actorRole));
    expect(roles('ProductAdded')).toEqual(new Set(['catalog']));
    expect(roles('OrderPlaced')).toEqual(new Set(['customer']));
    expect(roles('OrderPaymentConfirmed')).toEqual(new Set(['customer']));
    expect(roles('OrderShipped')).toEqual(new Set(['fulfilment']));
    expect(roles('OrderCancelled')).toEqual(new Set(['customer', 'fulfilment']));
  });

  it('leaves demo accounts that sign in with the demo password, and says which', { timeout: RUN + 60_000 }, async () => {
    const { first } = await firstRun();
    expect(first.identities).toEqual({
      authEmulator: authEmulator.host,
      projectId: AUTH_PROJECT_ID,
      password: DEMO_PASSWORD,
      staff: DEMO_STAFF.map(({ email, uid, roles }) => ({ email, uid, roles })),
      customers: DEMO_CUSTOMERS.map(({ email, customerId, name }) => ({ email, uid: customerId, name })),
    });

    const customers = await Promise.all(DEMO_CUSTOMERS.map(async (c) => tokens.verify(await signIn(c.email, DEMO_PASSWORD))));
    expect(customers.map(({ uid, email, roles }) => ({ uid, email, roles: [...roles] }))).toEqual(
      DEMO_CUSTOMERS.map((c) => ({ uid: c.customerId, email: c.email, roles: ['customer'] })),
    );
    const staff = await Promise.all(DEMO_STAFF.map(async (s) => tokens.verify(await signIn(s.email, DEMO_PASSWORD))));
    expect(staff.map(({ uid, roles }) => ({ uid, roles: [...roles].sort() }))).toEqual(
      DEMO_STAFF.map((s) => ({ uid: s.uid, roles: ['customer', ...(s.roles ?? [])].sort() })),
    );
    await expect(signIn(DEMO_CUSTOMERS[0]!.email, 'not-the-password')).rejects.toThrow(/sign-in as/);
  });

  it('signs in again when the API refuses a token (expired, revoked) and carries on', { timeout: 2 * RUN }, async () => {
    const { first, afterFirst } = await firstRun();
    // The first shipment is refused; its retry, with a fresh token, and every later one go through.
    let shipments = 0;
    const proxy = await refusingProxy((body) => body.includes('shipOrder') && shipments++ === 0);
    try {
      const third = await seedShop({ url: proxy.url, orders: ORDERS, seed: SEED, concurrency: 4, authEmulator });
      expect(shipments).toBe(first.orders.shipped + 1);
      expect(third.orders).toEqual(first.orders);
      expect(third.commands).toEqual({ succeeded: first.commands.succeeded, replayed: first.commands.succeeded });
      expect((await storedEvents()).map((e) => e.path).sort()).toEqual(afterFirst.map((e) => e.path).sort());
    } finally {
      await proxy.close();
    }
  });

  it('gives up clearly when the API keeps refusing its tokens', async () => {
    const proxy = await refusingProxy((body) => body.startsWith('{"query":"mutation'));
    try {
      await expect(seedShop({ url: proxy.url, orders: 1, seed: SEED, concurrency: 1, authEmulator })).rejects.toThrow(
        /addProduct as catalog@eventloom\.test was refused: The ID token has expired\. Does the API take this Auth emulator's tokens/,
      );
      // The request with the cached token, and one more after signing in again.
      expect(proxy.bearers.filter((b) => b.startsWith('Bearer ')).length).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to run without an Auth emulator: its accounts have a known password', async () => {
    await expect(seedShop({ url, orders: 1, authEmulator: { host: '127.0.0.1:9', projectId: AUTH_PROJECT_ID } })).rejects.toThrow(
      /No Firebase Auth emulator answers at 127\.0\.0\.1:9\. The seed creates accounts with a known password/,
    );
  });

  it('fails clearly when no API answers at the URL', async () => {
    await expect(seedShop({ url: 'http://127.0.0.1:9/graphql', orders: 1, authEmulator })).rejects.toThrow(
      /not reachable at http:\/\/127\.0\.0\.1:9\/graphql/,
    );
  });
});
