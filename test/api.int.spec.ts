/** The GraphQL API over HTTP via yoga.fetch, with the event store on the Firestore emulator. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { testFirestore } from './support/firestore.ts';
import { asCustomer, testTokens } from './support/identities.ts';
import { graphql } from './support/pipeline.ts';
import { CUSTOMER_ORDERS, orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { storedStock } from './support/productStock.ts';

const db = testFirestore();
const store = new FirestoreEventStore(db);
const api = createApi({
  store,
  readModels: new FirestoreReadModels(db),
  logger: createLogger({ level: 'silent' }),
  clock: () => new Date('2026-11-29T15:00:00.000Z'),
  newId: randomUUID,
  tokens: testTokens(),
});
afterAll(() => db.terminate());
beforeAll(() => setUpShop(api, ['c-api-1', 'c-api-2', 'c-api-3']));

type PlaceOrderResult = { placeOrder: Record<string, unknown> & { __typename: string } };

describe('placeOrder', () => {
  it('places the order at catalog prices, reserving stock, with the request correlation id', async () => {
    const { data } = await graphql<PlaceOrderResult>(
      api,
      PLACE_ORDER,
      { input: orderInput('c-api-1') },
      {
        'x-correlation-id': 'corr-abc',
        ...(await asCustomer('c-api-1')),
      },
    );
    expect(data?.placeOrder).toMatchObject({ __typename: 'PlaceOrderPayload', version: 1, replayed: false });
    expect(data?.placeOrder).not.toHaveProperty('errors');
    const orderId = data!.placeOrder.orderId as string;
    expect(data?.placeOrder.streamId).toBe(`order-${orderId}`);

    const [event] = await store.readStream(`order-${orderId}`);
    expect(event).toMatchObject({
      type: 'OrderPlaced',
      version: 1,
      occurredAt: '2026-11-29T15:00:00.000Z',
      data: { orderId, customerId: 'c-api-1', totalCents: 5900 },
      metadata: { correlationId: 'corr-abc', causationId: null, actor: 'c-api-1', actorRole: 'customer', command: 'PlaceOrder' },
    });
    // The kettle's units are reserved in its stock buckets, in the same commit, under the same correlation id.
    const kettle = await storedStock(store, 'sku-kettle');
    expect(kettle.reservations[orderId]).toBe(2);
    const reservations = kettle.bucketEvents
      .flat()
      .filter((e) => e.type === 'StockReserved' && (e.data as { orderId: string }).orderId === orderId);
    expect(reservations.length).toBeGreaterThan(0);
    for (const reservation of reservations) expect(reservation.metadata).toMatchObject({ correlationId: 'corr-abc' });
  });

  it('returns InputValidationError with the paths of the issues for invalid input, and appends nothing', async () => {
    const before = (await db.collectionGroup('events').get()).size;
    const { data, errors } = await graphql<PlaceOrderResult>(
      api,
      PLACE_ORDER,
      {
        input: {
          customerId: 'c-api-1',
          lines: [
            { productId: 'p', quantity: 0 },
            { productId: ' ', quantity: 1 },
          ],
        },
      },
      await asCustomer('c-api-1'),
    );
    expect(errors).toBeUndefined();
    expect(data?.placeOrder.__typename).toBe('InputValidationError');
    expect(data?.placeOrder.code).toBe('VALIDATION');
    const paths = (data!.placeOrder.issues as Array<{ path: string[] }>).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['input.lines.1.productId', 'input.lines.0.quantity']));
    expect((await db.collectionGroup('events').get()).size).toBe(before);
  });

  it('rejects a product id with forbidden characters with the path of the offending field', async () => {
    const { data } = await graphql<PlaceOrderResult>(
      api,
      PLACE_ORDER,
      { input: { customerId: 'c-api-1', lines: [{ productId: 'a/b', quantity: 1 }] } },
      await asCustomer('c-api-1'),
    );
    const issues = data?.placeOrder.issues as Array<{ path: string[] }>;
    expect(issues.map((i) => i.path.join('.'))).toEqual(['input.lines.0.productId']);
  });

  it('does not accept a client price: the field does not exist', async () => {
    const { errors } = await graphql(
      api,
      PLACE_ORDER,
      { input: { customerId: 'c-api-1', lines: [{ productId: 'sku-mug', quantity: 1, unitPriceCents: 1 }] } },
      await asCustomer('c-api-1'),
    );
    expect(errors?.[0]?.message).toMatch(/unitPriceCents/);
  });

  it('returns InputValidationError for an order without lines', async () => {
    const { data } = await graphql<PlaceOrderResult>(
      api,
      PLACE_ORDER,
      { input: { customerId: 'c-api-1', lines: [] } },
      await asCustomer('c-api-1'),
    );
    expect(data?.placeOrder).toMatchObject({ __typename: 'InputValidationError', code: 'VALIDATION' });
  });

  it('answers a GraphQL-level error (not a 500) for input of the wrong shape', async () => {
    const { errors } = await graphql(api, PLACE_ORDER, { input: { customerId: 'c-api-1', lines: 'many' } }, await asCustomer('c-api-1'));
    expect(errors?.[0]?.message).toMatch(/lines/);
  });

  it('with an idempotency key, a retry returns the first order and appends nothing', async () => {
    const key = `retry-${randomUUID()}`;
    const input = orderInput('c-api-2', { idempotencyKey: key });
    const first = await graphql<PlaceOrderResult>(api, PLACE_ORDER, { input }, await asCustomer('c-api-2'));
    const second = await graphql<PlaceOrderResult>(api, PLACE_ORDER, { input }, await asCustomer('c-api-2'));
    expect(second.data?.placeOrder).toEqual({ ...first.data?.placeOrder, replayed: true });
  });

  it("scopes idempotency keys to the caller: another customer's same key places their own order", async () => {
    const key = `shared-${randomUUID()}`;
    const mine = await graphql<PlaceOrderResult>(
      api,
      PLACE_ORDER,
      { input: orderInput('c-api-2', { idempotencyKey: key }) },
      await asCustomer('c-api-2'),
    );
    const theirs = await graphql<PlaceOrderResult>(
      api,
      PLACE_ORDER,
      { input: orderInput('c-api-3', { idempotencyKey: key }) },
      await asCustomer('c-api-3'),
    );
    expect(mine.data?.placeOrder).toMatchObject({ __typename: 'PlaceOrderPayload', replayed: false });
    expect(theirs.data?.placeOrder).toMatchObject({ __typename: 'PlaceOrderPayload', replayed: false });
    expect(theirs.data?.placeOrder.orderId).not.toBe(mine.data?.placeOrder.orderId);
    const [record] = (await db.collection('idempotencyKeys').where('result.orderId', '==', mine.data?.placeOrder.orderId).get()).docs;
    // Kept for a day from the command, then left to the TTL policy on expireAt.
    expect(record?.get('expireAt').toDate().toISOString()).toBe('2026-11-30T15:00:00.000Z');
  });

  it('refuses an order for another customer with AUTH.FORBIDDEN, and an anonymous one with AUTH.UNAUTHENTICATED', async () => {
    const before = (await db.collectionGroup('events').get()).size;
    const forged = await graphql(api, PLACE_ORDER, { input: orderInput('c-api-2') }, await asCustomer('c-api-1'));
    expect(forged).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.FORBIDDEN' } }] });
    const anonymous = await graphql(api, PLACE_ORDER, { input: orderInput('c-api-2') });
    expect(anonymous).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.UNAUTHENTICATED' } }] });
    expect((await db.collectionGroup('events').get()).size).toBe(before);
  });

  it('answers 401 AUTH.UNAUTHENTICATED to a token that does not verify, instead of treating it as anonymous', async () => {
    const response = await api.fetch('http://api/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ query: '{ products(first: 1) { edges { cursor } } }' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'AUTH.UNAUTHENTICATED' } }] });
  });

  it('with a reused key and a different order, returns IdempotencyKeyReused', async () => {
    const key = `reuse-${randomUUID()}`;
    await graphql(api, PLACE_ORDER, { input: orderInput('c-api-3', { idempotencyKey: key }) }, await asCustomer('c-api-3'));
    const { data } = await graphql<PlaceOrderResult>(
      api,
      PLACE_ORDER,
      { input: orderInput('c-api-3', { idempotencyKey: key, lines: [{ productId: 'sku-mug', quantity: 5 }] }) },
      await asCustomer('c-api-3'),
    );
    expect(data?.placeOrder).toMatchObject({ __typename: 'IdempotencyKeyReused', code: 'IDEMPOTENCY.KEY_REUSED', idempotencyKey: key });
  });
});

describe('customerOrders query', () => {
  it('answers an empty history for a customer with no orders yet', async () => {
    const { data } = await graphql(api, CUSTOMER_ORDERS, { customerId: 'nobody' }, await asCustomer('nobody'));
    expect(data).toEqual({ customerOrders: { customerId: 'nobody', orderCount: 0, totalSpentCents: 0, orders: { edges: [] } } });
  });
});
