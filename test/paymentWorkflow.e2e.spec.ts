/**
 * The payment workflow through the whole pipeline: the order's events reach the workflow function by Pub/Sub
 * push, the sweep (given the instant by the test) cancels what is left unpaid, the stock comes back on the live
 * `productInventory` subscription, and the dashboard's `ordersAwaitingPayment` follows it all.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { VersionedEventStore } from '../src/core/versionedEventStore.ts';
import { FirestoreDeadlines } from '../src/firestore/firestoreDeadlines.ts';
import { paymentWorkflowStreamId } from '../src/fulfilment/paymentEvents.ts';
import { DEFAULT_PAYMENT_WINDOW_MS, paymentWorkflow } from '../src/fulfilment/paymentWorkflow.ts';
import { sweepPaymentDeadlines, type PaymentWorkflowDeps } from '../src/fulfilment/paymentWorkflowRunner.ts';
import { createLogger } from '../src/logger.ts';
import { orderStreamId } from '../src/orders/orderEvents.ts';
import { personalDataFromConfig } from '../src/privacy/personalDataFromConfig.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { PLACE_ORDER, orderInput, setUpShop } from './support/orders.ts';
import { graphql, pipelineReleasingListeners, type Pipeline } from './support/pipeline.ts';
import { subscribeOverWebSocket } from './support/subscriptions.ts';

let pipeline: Pipeline;
pipelineReleasingListeners(
  (started) => {
    pipeline = started;
  },
  { workflows: true },
);

const INVENTORY = /* GraphQL */ `subscription ($id: ID!) { productInventory(productId: $id) { id available reserved } }`;
const AWAITING = /* GraphQL */ `subscription { ordersAwaitingPayment(limit: 50) { orderId dueAt } }`;
const CONFIRM_PAYMENT = /* GraphQL */ `
  mutation ($input: ConfirmOrderPaymentInput!) { confirmOrderPayment(input: $input) { __typename ... on Error { code } } }
`;

interface Inventory {
  productInventory: { id: string; available: number; reserved: number } | null;
}
interface Awaiting {
  ordersAwaitingPayment: Array<{ orderId: string; dueAt: string }>;
}

function workflowDeps(): PaymentWorkflowDeps {
  // What the sweep function runs with, against the pipeline's project (the functions use the default window).
  return {
    // As the workflow function builds it (functions/runtime.ts).
    store: new VersionedEventStore(pipeline.store, shopEvents, personalDataFromConfig(loadConfig(), pipeline.db).protection),
    deadlines: new FirestoreDeadlines(pipeline.db),
    workflow: paymentWorkflow(),
    logger: createLogger({ level: 'warn', name: 'payment-sweep-test' }),
  };
}

async function placeOrder(customerId: string): Promise<string> {
  const result = await graphql<{ placeOrder: { __typename: string; orderId: string } }>(
    pipeline.api,
    PLACE_ORDER,
    { input: orderInput(customerId) },
    await asCustomer(customerId),
  );
  expect(result.data?.placeOrder.__typename).toBe('PlaceOrderPayload');
  return result.data!.placeOrder.orderId;
}

async function dueAtOf(awaiting: ReturnType<typeof subscribeOverWebSocket<Awaiting>>, orderId: string): Promise<Date> {
  const listed = await awaiting.next((r) => Boolean(r.data?.ordersAwaitingPayment.some((o) => o.orderId === orderId)), 30_000);
  return new Date(listed.data!.ordersAwaitingPayment.find((o) => o.orderId === orderId)!.dueAt);
}

describe('payment workflow, end to end', () => {
  it('cancels an order left unpaid when its deadline passes, and its stock is available again, live', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId], 10);
    const inventory = subscribeOverWebSocket<Inventory>(pipeline.wsUrl, INVENTORY, { id: 'sku-kettle' }, await asCustomer(customerId));
    const awaiting = subscribeOverWebSocket<Awaiting>(pipeline.wsUrl, AWAITING, {}, await asStaff('fulfilment'));
    try {
      await inventory.next((r) => r.data?.productInventory?.available === 10, 30_000);
      const orderId = await placeOrder(customerId);
      await inventory.next((r) => r.data?.productInventory?.available === 8);

      // The workflow saw OrderPlaced (by push) and set the deadline one payment window after it.
      const placedAt = Date.parse((await pipeline.store.readStream(orderStreamId(orderId)))[0]!.occurredAt);
      const dueAt = await dueAtOf(awaiting, orderId);
      expect(dueAt.getTime()).toBe(placedAt + DEFAULT_PAYMENT_WINDOW_MS);

      const sweep = await sweepPaymentDeadlines(workflowDeps(), new Date(dueAt.getTime() + 60_000));
      expect(sweep).toMatchObject({ fired: 1, failed: 0 });

      await inventory.next((r) => r.data?.productInventory?.available === 10 && r.data.productInventory.reserved === 0);
      await awaiting.next((r) => Boolean(r.data && !r.data.ordersAwaitingPayment.some((o) => o.orderId === orderId)));
      const cancelled = (await pipeline.store.readStream(orderStreamId(orderId))).at(-1);
      expect(cancelled).toMatchObject({ type: 'OrderCancelled', data: { reason: 'payment timeout' } });
      // The cancellation came back to the workflow by push, which closed it.
      await expect
        .poll(async () => (await pipeline.store.readStream(paymentWorkflowStreamId(orderId))).map((e) => e.type), { timeout: 30_000 })
        .toEqual(['PaymentDeadlineSet', 'PaymentDeadlineExpired', 'OrderCancelledForNonPayment']);
    } finally {
      inventory.close();
      awaiting.close();
    }
  });

  it('clears the deadline of an order paid in time, from the pushed payment (its reference sealed)', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId], 1000);
    const awaiting = subscribeOverWebSocket<Awaiting>(pipeline.wsUrl, AWAITING, {}, await asStaff('fulfilment'));
    try {
      const orderId = await placeOrder(customerId);
      await dueAtOf(awaiting, orderId);
      const paid = await graphql<{ confirmOrderPayment: { __typename: string } }>(
        pipeline.api,
        CONFIRM_PAYMENT,
        { input: { orderId, paymentReference: `pay-${orderId}` } },
        await asCustomer(customerId),
      );
      expect(paid.data?.confirmOrderPayment.__typename).toBe('OrderCommandPayload');

      await awaiting.next((r) => Boolean(r.data && !r.data.ordersAwaitingPayment.some((o) => o.orderId === orderId)));
      await expect
        .poll(async () => (await pipeline.store.readStream(paymentWorkflowStreamId(orderId))).map((e) => e.type), { timeout: 30_000 })
        .toEqual(['PaymentDeadlineSet', 'PaymentDeadlineCleared']);
      // The runner removes the deadline right after recording the decision.
      await expect
        .poll(async () => (await workflowDeps().deadlines.pending('payment', 1000)).some((d) => d.key === orderId), { timeout: 30_000 })
        .toBe(false);
      // Nothing the workflow was pushed was refused.
      expect(pipeline.deliveries('runPaymentWorkflow').filter((d) => d.status >= 400)).toEqual([]);
    } finally {
      awaiting.close();
    }
  });

  it('leaves exactly one outcome when the payment races the deadline', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId], 1000);
    const awaiting = subscribeOverWebSocket<Awaiting>(pipeline.wsUrl, AWAITING, {}, await asStaff('fulfilment'));
    try {
      const orderId = await placeOrder(customerId);
      const dueAt = await dueAtOf(awaiting, orderId);

      const [payment] = await Promise.all([
        graphql<{ confirmOrderPayment: { __typename: string; code?: string } }>(
          pipeline.api,
          CONFIRM_PAYMENT,
          { input: { orderId, paymentReference: `pay-${orderId}` } },
          await asCustomer(customerId),
        ),
        sweepPaymentDeadlines(workflowDeps(), new Date(dueAt.getTime() + 1000)),
      ]);

      const outcomes = (await pipeline.store.readStream(orderStreamId(orderId))).slice(1).map((e) => e.type);
      expect(outcomes).toHaveLength(1);
      const paid = outcomes[0] === 'OrderPaymentConfirmed';
      expect(payment.data?.confirmOrderPayment).toMatchObject(
        paid ? { __typename: 'OrderCommandPayload' } : { code: 'ORDER.INVALID_TRANSITION' },
      );
      // Either way the workflow ends closed, and the order leaves the awaiting list.
      await awaiting.next((r) => Boolean(r.data && !r.data.ordersAwaitingPayment.some((o) => o.orderId === orderId)));
      // Paid: the timeout lost (or, had the payment reached the workflow before the sweep, it never expired).
      const closings = paid ? ['PaymentTimeoutLost', 'PaymentDeadlineCleared'] : ['OrderCancelledForNonPayment'];
      await expect
        .poll(async () => closings.includes((await pipeline.store.readStream(paymentWorkflowStreamId(orderId))).at(-1)?.type ?? ''), {
          timeout: 30_000,
        })
        .toBe(true);
    } finally {
      awaiting.close();
    }
  });
});
