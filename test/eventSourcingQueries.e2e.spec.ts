/**
 * Time travel, the audit trail, read-your-writes and the operations queries, over the real pipeline.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { shopEvents } from '../src/shopEvents.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { subscribeOverSse, subscribeOverWebSocket } from './support/subscriptions.ts';

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(() => pipeline?.stop());

const ORDER = /* GraphQL */ `
  query ($orderId: ID!, $asOf: DateTime, $token: ConsistencyTokenInput, $waitMs: Int) {
    order(orderId: $orderId, asOf: $asOf, consistentWith: $token, waitMs: $waitMs) { status totalCents version }
  }
`;
const PRODUCT = `query ($id: ID!, $asOf: DateTime) { product(productId: $id, asOf: $asOf) { reserved available } }`;
const CUSTOMER = `query ($id: ID!, $asOf: DateTime) { customer(customerId: $id, asOf: $asOf) { orderCount totalSpentCents } }`;

type Placed = { placeOrder: { orderId: string; streamId: string; version: number } };

/**
 * The customer places an order and pays for it themselves; `between` is an instant after the one commit and
 * before the other. The pauses around it are about time, not a condition standing in for something: time
 * travel compares instants with the commits' `recordedAt` (the emulator's clock), and a pause on each side
 * keeps them distinct whatever the clocks' resolution.
 */
async function placeAndPay(customerId: string, headers: Record<string, string> = {}) {
  const customer = await asCustomer(customerId);
  const placed = (await graphql<Placed>(pipeline.api, PLACE_ORDER, { input: orderInput(customerId) }, { ...customer, ...headers })).data!
    .placeOrder;
  await sleep(100);
  const between = new Date();
  await sleep(100);
  const paid = await graphql<{ confirmOrderPayment: { __typename: string; version: number } }>(
    pipeline.api,
    'mutation ($input: ConfirmOrderPaymentInput!) { confirmOrderPayment(input: $input) { __typename ... on OrderCommandPayload { version } } }',
    { input: { orderId: placed.orderId, paymentReference: 'psp-42' } },
    { ...customer, ...headers, 'x-correlation-id': 'pay-corr' },
  );
  return { placed, between, paidVersion: paid.data!.confirmOrderPayment.version };
}

describe('time travel', () => {
  it('answers what was known at an instant, for an order, a product and a customer', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    // About time, as in placeAndPay: an instant after the shop was set up and before the order.
    await sleep(100);
    const beforeOrder = new Date();
    await sleep(100);
    const { placed, between } = await placeAndPay(customerId);

    const then = await graphql(pipeline.api, ORDER, { orderId: placed.orderId, asOf: between.toISOString() }, await asCustomer(customerId));
    expect(then).toEqual({ data: { order: { status: 'PLACED', totalCents: 5900, version: 1 } } });
    const before = await graphql(
      pipeline.api,
      ORDER,
      { orderId: placed.orderId, asOf: beforeOrder.toISOString() },
      await asCustomer(customerId),
    );
    expect(before).toEqual({ data: { order: null } });
    const now = await graphql(
      pipeline.api,
      ORDER,
      { orderId: placed.orderId, asOf: new Date().toISOString() },
      await asCustomer(customerId),
    );
    expect(now).toEqual({ data: { order: { status: 'PAID', totalCents: 5900, version: 2 } } });

    // The mug's stock: nothing of this order reserved before it was placed (other tests' orders may be).
    const mugBefore = (
      await graphql<{ product: { reserved: number } }>(pipeline.api, PRODUCT, { id: 'sku-mug', asOf: beforeOrder.toISOString() })
    ).data!.product;
    const mugBetween = (
      await graphql<{ product: { reserved: number } }>(pipeline.api, PRODUCT, { id: 'sku-mug', asOf: between.toISOString() })
    ).data!.product;
    expect(mugBetween.reserved - mugBefore.reserved).toBe(1);

    const customerThen = await graphql(
      pipeline.api,
      CUSTOMER,
      { id: customerId, asOf: between.toISOString() },
      await asCustomer(customerId),
    );
    expect(customerThen).toEqual({ data: { customer: { orderCount: 1, totalSpentCents: 5900 } } });
  });

  it('refuses asOf together with consistentWith', async () => {
    const { errors } = await graphql(
      pipeline.api,
      ORDER,
      { orderId: 'x', asOf: new Date().toISOString(), token: { streamId: 'order-x', version: 1 } },
      await asStaff('fulfilment'),
    );
    expect(errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });
});

describe('audit trail', () => {
  it("pages through a stream's events with actor, command, correlation and causation", async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const { placed } = await placeAndPay(customerId, { 'x-correlation-id': 'place-corr' });
    const HISTORY = `query ($streamId: String!, $first: Int, $after: String) {
      streamHistory(streamId: $streamId, first: $first, after: $after) {
        edges { node { version type actor actorRole command correlationId causationId occurredAt recordedAt data } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    type History = {
      streamHistory: { edges: Array<{ node: Record<string, unknown> }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    };
    const operator = await asStaff('operator');
    const first = (await graphql<History>(pipeline.api, HISTORY, { streamId: placed.streamId, first: 1 }, operator)).data!.streamHistory;
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges[0]!.node).toMatchObject({
      version: 1,
      type: 'OrderPlaced',
      actor: customerId,
      actorRole: 'customer',
      command: 'PlaceOrder',
      correlationId: 'place-corr',
      causationId: null,
      data: { orderId: placed.orderId, customerId, totalCents: 5900 },
    });
    const second = (
      await graphql<History>(pipeline.api, HISTORY, { streamId: placed.streamId, first: 1, after: first.pageInfo.endCursor }, operator)
    ).data!.streamHistory;
    expect(second.edges.map((e) => e.node)).toMatchObject([
      {
        version: 2,
        type: 'OrderPaymentConfirmed',
        command: 'ConfirmOrderPayment',
        correlationId: 'pay-corr',
        actor: customerId,
        actorRole: 'customer',
      },
    ]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });
});

describe('read-your-writes', () => {
  it('waits until the read model reflects the token a mutation returned, or says it is stale', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const placed = (await graphql<Placed>(pipeline.api, PLACE_ORDER, { input: orderInput(customerId) }, await asCustomer(customerId))).data!
      .placeOrder;

    // Right after the mutation, the projector has most likely not run yet: the token makes the query wait.
    const fresh = await graphql(
      pipeline.api,
      ORDER,
      { orderId: placed.orderId, token: { streamId: placed.streamId, version: placed.version }, waitMs: 10_000 },
      await asCustomer(customerId),
    );
    expect(fresh).toEqual({ data: { order: { status: 'PLACED', totalCents: 5900, version: 1 } } });

    const stale = await graphql(
      pipeline.api,
      ORDER,
      { orderId: placed.orderId, token: { streamId: placed.streamId, version: 7 }, waitMs: 300 },
      await asCustomer(customerId),
    );
    expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'READ_MODEL.STALE', streamId: placed.streamId, version: 7, checkpoint: 1 });
  });
});

describe('read-your-writes on a subscription', () => {
  it('starts the stream only once the view reflects the token, so its first value already has the write', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const customer = await asCustomer(customerId);
    const placed = (await graphql<Placed>(pipeline.api, PLACE_ORDER, { input: orderInput(customerId) }, customer)).data!.placeOrder;
    const STATUS = `subscription ($id: ID!, $token: ConsistencyTokenInput, $waitMs: Int) {
      orderStatus(orderId: $id, consistentWith: $token, waitMs: $waitMs) { status version }
    }`;
    const fresh = subscribeOverWebSocket<{ orderStatus: { status: string; version: number } | null }>(
      pipeline.wsUrl,
      STATUS,
      {
        id: placed.orderId,
        token: { streamId: placed.streamId, version: placed.version },
        waitMs: 10_000,
      },
      customer,
    );
    const stale = subscribeOverSse<{ orderStatus: unknown }>(
      pipeline.httpUrl,
      STATUS,
      {
        id: placed.orderId,
        token: { streamId: placed.streamId, version: 9 },
        waitMs: 200,
      },
      customer,
    );
    try {
      await fresh.next((r) => r.data !== undefined);
      expect(fresh.results[0]).toEqual({ data: { orderStatus: { status: 'PLACED', version: 1 } } });
      const refused = await stale.next((r) => r.errors !== undefined);
      expect(JSON.stringify(refused.errors)).toContain('READ_MODEL.STALE');
    } finally {
      fresh.close();
      stale.close();
    }
  });
});

describe('operations', () => {
  it('reports every projection with its lag: none when caught up, exactly how far an unapplied event is ahead otherwise; dead letters for operators only', async () => {
    const operator = await asStaff('operator');
    type Status = { readModel: string; lagSeconds: number; latestEventAt: string | null; lastAppliedEventAt: string | null };
    const statuses = async () =>
      (
        await graphql<{ projections: Status[] }>(
          pipeline.api,
          '{ projections { readModel lagSeconds latestEventAt lastAppliedEventAt } }',
          {},
          operator,
        )
      ).data!.projections;
    const readModels = ['customerOrderHistory', 'inventoryCount', 'orderDetails', 'recommendations', 'salesDashboard'];
    expect((await statuses()).map((p) => p.readModel).sort()).toEqual(readModels);
    const byName = (list: Status[]) => [...list].sort((a, b) => (a.readModel < b.readModel ? -1 : 1));

    // Once every projector has applied the earlier tests' events, each is at the newest event of the types it
    // reads: no lag.
    let before: Status[] = [];
    await vi.waitFor(
      async () => {
        before = byName(await statuses());
        for (const status of before) {
          expect(status).toEqual({ ...status, lagSeconds: 0, lastAppliedEventAt: status.latestEventAt });
        }
      },
      { timeout: 20_000, interval: 100 },
    );
    const latest = before
      .map((s) => s.latestEventAt!)
      .sort()
      .at(-1)!;

    // A CustomerRegistered 42.5 s newer than the newest event, committed while no relay publishes it: the one
    // projection that reads that type is exactly that far behind; the others are not behind at all.
    await pipeline.relay.stop();
    const ahead = new Date(Date.parse(latest) + 42_500).toISOString();
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await pipeline.store.appendToStreams([
      {
        streamId: `customer-${customerId}`,
        expectedVersion: 0,
        events: [
          shopEvents.stamp({
            eventId: randomUUID(),
            type: 'CustomerRegistered',
            data: { customerId, name: 'Lag Tester', email: `${customerId}@example.com` },
            occurredAt: ahead,
            metadata: { correlationId: 'lag-test', causationId: null },
          }),
        ],
      },
    ]);
    const history = before.find((s) => s.readModel === 'customerOrderHistory')!;
    const behind = (Date.parse(ahead) - Date.parse(history.lastAppliedEventAt!)) / 1000;
    expect(byName(await statuses())).toEqual(
      before.map((s) => (s.readModel === 'customerOrderHistory' ? { ...s, lagSeconds: behind, latestEventAt: ahead } : s)),
    );

    // A relay starts again; once the event is applied, no lag again.
    pipeline.relay = pipeline.newRelay();
    pipeline.relay.start();
    await vi.waitFor(
      async () =>
        expect(byName(await statuses())).toEqual(
          before.map((s) =>
            s.readModel === 'customerOrderHistory' ? { ...s, lagSeconds: 0, latestEventAt: ahead, lastAppliedEventAt: ahead } : s,
          ),
        ),
      { timeout: 20_000, interval: 100 },
    );

    const DEAD_LETTERS = '{ deadLetters { __typename edges { node { id } } } }';
    const anonymous = await graphql(pipeline.api, DEAD_LETTERS);
    expect(anonymous).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.UNAUTHENTICATED' } }] });
    const customer = await graphql(pipeline.api, DEAD_LETTERS, {}, await asCustomer('c-curious'));
    expect(customer).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.FORBIDDEN' } }] });
    const allowed = await graphql(pipeline.api, DEAD_LETTERS, {}, operator);
    expect(allowed).toMatchObject({ data: { deadLetters: { __typename: 'DeadLetterConnection' } } });

    const missing = await graphql(
      pipeline.api,
      'mutation { skipDeadLetter(id: "nope") { __typename ... on Error { code } } }',
      {},
      operator,
    );
    expect(missing).toEqual({ data: { skipDeadLetter: { __typename: 'DeadLetterNotFound', code: 'DEAD_LETTER.NOT_FOUND' } } });
  });
});
