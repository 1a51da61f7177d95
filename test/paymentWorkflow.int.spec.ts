/**
 * The payment workflow on the emulators: the runner over the real event store and deadlines, orders placed
 * and paid through the API, time controlled by the test (the sweep is given its `now`).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../src/core/eventStore.ts';
import { loadConfig } from '../src/config.ts';
import { VersionedEventStore } from '../src/core/versionedEventStore.ts';
import { FirestoreDeadlines } from '../src/firestore/firestoreDeadlines.ts';
import { paymentWorkflowStreamId } from '../src/fulfilment/paymentEvents.ts';
import { PAYMENT_TIMEOUT_REASON, paymentWorkflow, type PaymentWorkflowInput } from '../src/fulfilment/paymentWorkflow.ts';
import {
  PAYMENT_WORKFLOW,
  runPaymentWorkflow,
  sweepPaymentDeadlines,
  type PaymentWorkflowDeps,
} from '../src/fulfilment/paymentWorkflowRunner.ts';
import { orderStreamId } from '../src/orders/orderEvents.ts';
import { personalDataFromConfig } from '../src/privacy/personalDataFromConfig.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { createLogger } from '../src/logger.ts';
import { asCustomer } from './support/identities.ts';
import { PLACE_ORDER, orderInput, setUpShop } from './support/orders.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';

const WINDOW_MS = 30 * 60 * 1000;
const CONFIRM_PAYMENT = /* GraphQL */ `
  mutation ($input: ConfirmOrderPaymentInput!) {
    confirmOrderPayment(input: $input) { __typename ... on Error { code } }
  }
`;

let pipeline: Pipeline;
let deps: PaymentWorkflowDeps;
const customerId = `c-${randomUUID().slice(0, 8)}`;
beforeAll(async () => {
  // Nothing is published: the test hands the workflow its inputs itself.
  pipeline = await startPipeline({ startRelay: false });
  await setUpShop(pipeline.api, [customerId]);
  deps = {
    // As the workflow function builds it (functions/runtime.ts).
    store: new VersionedEventStore(pipeline.store, shopEvents, personalDataFromConfig(loadConfig(), pipeline.db).protection),
    deadlines: new FirestoreDeadlines(pipeline.db),
    workflow: paymentWorkflow({ paymentWindowMs: WINDOW_MS }),
    logger: createLogger({ level: 'warn', name: 'payment-workflow-test' }),
  };
});
afterAll(() => pipeline?.stop());

/** Places an order through the API and hands its OrderPlaced to the workflow, as the push would. */
async function placeAndStart(): Promise<{ orderId: string; placed: EventEnvelope; dueAt: Date }> {
  const result = await graphql<{ placeOrder: { __typename: string; orderId: string } }>(
    pipeline.api,
    PLACE_ORDER,
    { input: orderInput(customerId) },
    await asCustomer(customerId),
  );
  expect(result.data?.placeOrder).toMatchObject({ __typename: 'PlaceOrderPayload' });
  const { orderId } = result.data!.placeOrder;
  const placed = (await orderEvents(orderId))[0]!;
  await deliver(placed);
  return { orderId, placed, dueAt: new Date(Date.parse(placed.occurredAt) + WINDOW_MS) };
}

const orderEvents = (orderId: string) => pipeline.store.readStream(orderStreamId(orderId));
const workflowEvents = async (orderId: string) => (await pipeline.store.readStream(paymentWorkflowStreamId(orderId))).map((e) => e.type);
const deadlineOf = async (orderId: string) => (await deps.deadlines.pending(PAYMENT_WORKFLOW, 1000)).find((d) => d.key === orderId);

function deliver(event: EventEnvelope, now = new Date()) {
  return runPaymentWorkflow(deps, { type: event.type, data: event.data } as PaymentWorkflowInput, {
    now,
    correlationId: event.metadata.correlationId,
    causationId: event.eventId,
  });
}

async function pay(orderId: string) {
  const result = await graphql(
    pipeline.api,
    CONFIRM_PAYMENT,
    { input: { orderId, paymentReference: `pay-${orderId}` } },
    await asCustomer(customerId),
  );
  return (result.data?.confirmOrderPayment as { __typename: string; code?: string }) ?? result;
}

const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

describe('payment workflow on the event store', () => {
  it('cancels an order left unpaid once its deadline has passed, and only then', async () => {
    const { orderId, dueAt } = await placeAndStart();
    expect(await deadlineOf(orderId)).toMatchObject({ dueAt: dueAt.toISOString() });

    await sweepPaymentDeadlines(deps, plus(dueAt, -1000));
    expect((await orderEvents(orderId)).map((e) => e.type)).toEqual(['OrderPlaced']);

    const sweep = await sweepPaymentDeadlines(deps, plus(dueAt, 60_000));
    expect(sweep).toMatchObject({ failed: 0 });
    const cancelled = (await orderEvents(orderId)).at(-1)!;
    expect(cancelled).toMatchObject({
      type: 'OrderCancelled',
      data: { reason: PAYMENT_TIMEOUT_REASON },
      metadata: { actor: null, actorRole: 'system' },
    });
    // The cancellation reaches the workflow like any order event: it closes, and its deadline goes.
    await deliver(cancelled);
    expect(await workflowEvents(orderId)).toEqual(['PaymentDeadlineSet', 'PaymentDeadlineExpired', 'OrderCancelledForNonPayment']);
    expect(await deadlineOf(orderId)).toBeUndefined();

    // Late sweeps and a redelivered OrderPlaced change nothing.
    await sweepPaymentDeadlines(deps, plus(dueAt, 120_000));
    await deliver((await orderEvents(orderId))[0]!);
    expect((await orderEvents(orderId)).filter((e) => e.type === 'OrderCancelled')).toHaveLength(1);
    expect(await workflowEvents(orderId)).toHaveLength(3);
  });

  it('leaves a paid order alone and removes its deadline', async () => {
    const { orderId, dueAt } = await placeAndStart();
    expect(await pay(orderId)).toMatchObject({ __typename: 'OrderCommandPayload' });
    await deliver((await orderEvents(orderId)).at(-1)!);

    expect(await deadlineOf(orderId)).toBeUndefined();
    await sweepPaymentDeadlines(deps, plus(dueAt, 60_000));
    expect((await orderEvents(orderId)).map((e) => e.type)).toEqual(['OrderPlaced', 'OrderPaymentConfirmed']);
    expect(await workflowEvents(orderId)).toEqual(['PaymentDeadlineSet', 'PaymentDeadlineCleared']);
  });

  it('settles a payment racing the deadline with exactly one outcome, and records the loser', async () => {
    const orders = await Promise.all(Array.from({ length: 4 }, () => placeAndStart()));
    const latest = new Date(Math.max(...orders.map((o) => o.dueAt.getTime())));

    // Every payment and the sweep that would cancel the same orders, at the same instant.
    const [payments] = await Promise.all([Promise.all(orders.map((o) => pay(o.orderId))), sweepPaymentDeadlines(deps, plus(latest, 1000))]);
    for (const [i, { orderId }] of orders.entries()) {
      // Whichever news reaches the workflow, it ends closed.
      for (const event of (await orderEvents(orderId)).slice(1)) await deliver(event);
      const types = (await orderEvents(orderId)).map((e) => e.type);
      const workflow = await workflowEvents(orderId);
      if (types.includes('OrderPaymentConfirmed')) {
        expect(types).toEqual(['OrderPlaced', 'OrderPaymentConfirmed']);
        expect(payments[i]).toMatchObject({ __typename: 'OrderCommandPayload' });
        // Paid before the deadline decided anything, or after: the timeout lost.
        expect(workflow.at(-1)).toMatch(/^(PaymentDeadlineCleared|PaymentTimeoutLost)$/);
      } else {
        expect(types).toEqual(['OrderPlaced', 'OrderCancelled']);
        expect(payments[i]).toMatchObject({ code: 'ORDER.INVALID_TRANSITION' });
        expect(workflow).toEqual(['PaymentDeadlineSet', 'PaymentDeadlineExpired', 'OrderCancelledForNonPayment']);
      }
      expect(workflow.filter((t) => t === 'PaymentTimeoutLost' || t === 'OrderCancelledForNonPayment').length).toBeLessThanOrEqual(1);
      expect(await deadlineOf(orderId)).toBeUndefined();
    }
  });

  it('acts once when a crash left the decision recorded but the cancellation unsent, even with two sweeps at once', async () => {
    const { orderId, dueAt } = await placeAndStart();
    const at = plus(dueAt, 60_000);
    // What a crash right after recording the decision leaves: the workflow cancelling, the order untouched.
    await pipeline.store.appendToStreams([
      {
        streamId: paymentWorkflowStreamId(orderId),
        expectedVersion: 1,
        events: [
          {
            eventId: randomUUID(),
            type: 'PaymentDeadlineExpired',
            data: { orderId, dueAt: dueAt.toISOString(), expiredAt: at.toISOString() },
            occurredAt: at.toISOString(),
            metadata: { correlationId: 'crash', causationId: null },
          },
        ],
      },
    ]);

    await Promise.all([sweepPaymentDeadlines(deps, at), sweepPaymentDeadlines(deps, at)]);

    const cancellations = (await orderEvents(orderId)).filter((e) => e.type === 'OrderCancelled');
    expect(cancellations).toHaveLength(1);
    expect(cancellations[0]).toMatchObject({ data: { reason: PAYMENT_TIMEOUT_REASON, cancelledAt: at.toISOString() } });
  });
});
