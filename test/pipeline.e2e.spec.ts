/**
 * One order through the whole pipeline on the real emulators: placeOrder over HTTP → Firestore event
 * stream (each event its own outbox entry) → relay → Pub/Sub → push subscription → functions-framework projector → read model
 * → Firestore listener → GraphQL subscription, seen by one client over SSE and one over WebSocket.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, PENDING } from '../src/firestore/firestoreEventStore.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { asCustomer } from './support/identities.ts';
import { startPipeline, type Pipeline } from './support/pipeline.ts';
import { CUSTOMER_ORDERS, CUSTOMER_ORDERS_SUBSCRIPTION, orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { subscribeOverSse, subscribeOverWebSocket } from './support/subscriptions.ts';

type History = {
  customerOrders: {
    orderCount: number;
    totalSpentCents: number;
    orders: { edges: Array<{ node: { orderId: string; status: string } }> };
  };
};

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(() => pipeline?.stop());

async function placeOrderOverHttp(input: { customerId: string }) {
  const response = await fetch(pipeline.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await asCustomer(input.customerId)) },
    body: JSON.stringify({ query: PLACE_ORDER, variables: { input } }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { data: { placeOrder: { __typename: string; orderId: string; version: number } } };
  expect(body.data.placeOrder.__typename).toBe('PlaceOrderPayload');
  return body.data.placeOrder;
}

describe('the pipeline, end to end', () => {
  it('delivers a placed order to an SSE subscriber and a WebSocket subscriber', async () => {
    const customerId = `c-${randomUUID()}`;
    await setUpShop(pipeline.api, [customerId]);
    const sse = subscribeOverSse<History>(pipeline.httpUrl, CUSTOMER_ORDERS_SUBSCRIPTION, { customerId }, await asCustomer(customerId));
    const ws = subscribeOverWebSocket<History>(pipeline.wsUrl, CUSTOMER_ORDERS_SUBSCRIPTION, { customerId }, await asCustomer(customerId));
    try {
      // Both start with the current history (the registration may or may not be projected yet).
      await sse.next((r) => r.data?.customerOrders.orderCount === 0);
      await ws.next((r) => r.data?.customerOrders.orderCount === 0);

      const order = await placeOrderOverHttp(orderInput(customerId));

      const hasOrder = (r: { data?: History | null }) =>
        r.data?.customerOrders.orders.edges.some((e) => e.node.orderId === order.orderId) ?? false;
      const [overSse, overWs] = await Promise.all([sse.next(hasOrder), ws.next(hasOrder)]);
      for (const result of [overSse, overWs]) {
        expect(result.errors).toBeUndefined();
        expect(result.data?.customerOrders).toMatchObject({
          orderCount: 1,
          totalSpentCents: 5900,
          orders: { edges: [{ node: { orderId: order.orderId, status: 'PLACED' } }] },
        });
      }
    } finally {
      sse.close();
      ws.close();
    }
  });

  it('serves the same read model to queries, and publishes every event', async () => {
    const customerId = `c-${randomUUID()}`;
    await setUpShop(pipeline.api, [customerId]);
    const first = await placeOrderOverHttp(orderInput(customerId));
    const second = await placeOrderOverHttp(orderInput(customerId));

    await expect
      .poll(async () => (await pipeline.readModels.get(customerOrderHistoryProjection, customerId))?.orderCount, {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(2);
    const response = await pipeline.api.fetch('http://api/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await asCustomer(customerId)) },
      body: JSON.stringify({ query: CUSTOMER_ORDERS, variables: { customerId } }),
    });
    const { data } = (await response.json()) as { data: History };
    expect(data.customerOrders.orders.edges.map((e) => e.node.orderId).sort()).toEqual([first.orderId, second.orderId].sort());

    await expect
      .poll(async () => (await pipeline.db.collectionGroup(EVENTS).where(PENDING, '==', true).get()).size, {
        timeout: 10_000,
      })
      .toBe(0);
  });
});
