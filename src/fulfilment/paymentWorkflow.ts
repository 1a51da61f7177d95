/**
 * The payment workflow: an order that is not paid within its payment window is cancelled, which releases
 * its stock through the normal CancelOrder command.
 *
 *   idle ──OrderPlaced──► awaitingPayment ──paid / shipped / cancelled──► closed
 *                               │ deadline passed
 *                               ▼
 *                          cancelling ──OrderCancelled──► closed (cancelled for non-payment)
 *                               └──paid first (or the cancel was rejected)──► closed (timeout lost)
 *
 * A payment racing the deadline is settled by the order stream, where both commands meet: exactly one of
 * OrderPaymentConfirmed and OrderCancelled is appended. If the cancellation loses, the workflow records
 * PaymentTimeoutLost; if the payment loses, the payer's command fails with ORDER.INVALID_TRANSITION.
 * Inputs may arrive twice and in any order (Pub/Sub push is at-least-once and unordered): a duplicate finds
 * the workflow past it and decides nothing; a payment seen before its OrderPlaced closes the workflow.
 */
import { assertNever } from '../core/decider.ts';
import { recordEvent, sendCommand, type Workflow, type WorkflowOutput } from '../core/workflow.ts';
import type { CancelOrder } from '../orders/cancelOrder.ts';
import type { OrderCancelled, OrderPaymentConfirmed, OrderPlaced, OrderShipped, OrderStatus } from '../orders/orderEvents.ts';
import type { PaymentWorkflowEvent } from './paymentEvents.ts';

/** The reason a timed-out order is cancelled with; the order's history and the customer see it. */
export const PAYMENT_TIMEOUT_REASON = 'payment timeout';
export const DEFAULT_PAYMENT_WINDOW_MS = 30 * 60 * 1000;

/** The deadline sweep found this workflow's deadline due (it may fire more than once). */
export interface PaymentDeadlineReached {
  readonly type: 'PaymentDeadlineReached';
  readonly data: { readonly orderId: string; readonly firedAt: string };
}

/** The order refused the cancellation the workflow asked for: it had already moved on. */
export interface OrderCancellationRejected {
  readonly type: 'OrderCancellationRejected';
  readonly data: { readonly orderId: string; readonly status: OrderStatus; readonly rejectedAt: string };
}

export type PaymentWorkflowInput =
  | OrderPlaced
  | OrderPaymentConfirmed
  | OrderShipped
  | OrderCancelled
  | PaymentDeadlineReached
  | OrderCancellationRejected;

/** The order event types the workflow reacts to (its subscription's filter). */
export const PAYMENT_WORKFLOW_ORDER_EVENTS = ['OrderPlaced', 'OrderPaymentConfirmed', 'OrderShipped', 'OrderCancelled'] as const;

export type PaymentOutcome = 'paid' | 'shipped' | 'cancelled' | 'cancelledForNonPayment' | 'timeoutLost';

export type PaymentWorkflowState =
  | { readonly status: 'idle' }
  | { readonly status: 'awaitingPayment'; readonly orderId: string; readonly dueAt: string }
  | { readonly status: 'cancelling'; readonly orderId: string; readonly dueAt: string; readonly expiredAt: string }
  | { readonly status: 'closed'; readonly orderId: string; readonly outcome: PaymentOutcome };

type Output = WorkflowOutput<PaymentWorkflowEvent, CancelOrder>;

export function paymentWorkflow(
  options: { readonly paymentWindowMs?: number } = {},
): Workflow<PaymentWorkflowInput, PaymentWorkflowState, PaymentWorkflowEvent, CancelOrder> {
  const windowMs = options.paymentWindowMs ?? DEFAULT_PAYMENT_WINDOW_MS;
  return {
    initialState: () => ({ status: 'idle' }),
    evolve: evolvePaymentWorkflow,
    decide(input, state) {
      switch (state.status) {
        case 'idle':
          return decideWhenIdle(input, windowMs);
        case 'awaitingPayment':
          return decideWhileAwaiting(input, state);
        case 'cancelling':
          return decideWhileCancelling(input, state);
        case 'closed':
          return [];
        default:
          return assertNever(state);
      }
    },
  };
}

function decideWhenIdle(input: PaymentWorkflowInput, windowMs: number): Output[] {
  switch (input.type) {
    case 'OrderPlaced': {
      const { orderId, customerId, totalCents, placedAt } = input.data;
      const dueAt = new Date(Date.parse(placedAt) + windowMs).toISOString();
      return [recordEvent({ type: 'PaymentDeadlineSet', data: { orderId, customerId, totalCents, placedAt, dueAt } })];
    }
    // The order moved on before its OrderPlaced reached us (deliveries are unordered): no deadline to set.
    case 'OrderPaymentConfirmed':
    case 'OrderShipped':
    case 'OrderCancelled':
      return [cleared(input)];
    case 'PaymentDeadlineReached':
    case 'OrderCancellationRejected':
      return [];
    default:
      return assertNever(input);
  }
}

function decideWhileAwaiting(input: PaymentWorkflowInput, state: { orderId: string; dueAt: string }): Output[] {
  switch (input.type) {
    case 'OrderPaymentConfirmed':
    case 'OrderShipped':
    case 'OrderCancelled':
      return [cleared(input)];
    case 'PaymentDeadlineReached': {
      const { firedAt } = input.data;
      // A sweep with a fast clock must not cancel early.
      if (Date.parse(firedAt) < Date.parse(state.dueAt)) return [];
      return [
        recordEvent({ type: 'PaymentDeadlineExpired', data: { orderId: state.orderId, dueAt: state.dueAt, expiredAt: firedAt } }),
        sendCommand(cancelForNonPayment(state.orderId, firedAt)),
      ];
    }
    case 'OrderPlaced':
    case 'OrderCancellationRejected':
      return [];
    default:
      return assertNever(input);
  }
}

function decideWhileCancelling(input: PaymentWorkflowInput, state: { orderId: string; expiredAt: string }): Output[] {
  const lost = (because: 'paid' | 'shipped' | 'cancelled', at: string): Output =>
    recordEvent<PaymentWorkflowEvent>({ type: 'PaymentTimeoutLost', data: { orderId: state.orderId, because, at } });
  switch (input.type) {
    case 'OrderCancelled':
      return input.data.reason === PAYMENT_TIMEOUT_REASON
        ? [recordEvent({ type: 'OrderCancelledForNonPayment', data: { orderId: state.orderId, cancelledAt: input.data.cancelledAt } })]
        : [lost('cancelled', input.data.cancelledAt)];
    case 'OrderPaymentConfirmed':
      return [lost('paid', input.data.paidAt)];
    case 'OrderShipped':
      return [lost('shipped', input.data.shippedAt)];
    case 'OrderCancellationRejected':
      return [lost(becauseOf(input.data.status), input.data.rejectedAt)];
    // Still waiting for the order to answer: ask again, with the very same command (it carries an idempotency key).
    case 'PaymentDeadlineReached':
      return [sendCommand(cancelForNonPayment(state.orderId, state.expiredAt))];
    case 'OrderPlaced':
      return [];
    default:
      return assertNever(input);
  }
}

export function evolvePaymentWorkflow(_state: PaymentWorkflowState, event: PaymentWorkflowEvent): PaymentWorkflowState {
  switch (event.type) {
    case 'PaymentDeadlineSet':
      return { status: 'awaitingPayment', orderId: event.data.orderId, dueAt: event.data.dueAt };
    case 'PaymentDeadlineCleared':
      return { status: 'closed', orderId: event.data.orderId, outcome: event.data.because };
    case 'PaymentDeadlineExpired':
      return { status: 'cancelling', orderId: event.data.orderId, dueAt: event.data.dueAt, expiredAt: event.data.expiredAt };
    case 'OrderCancelledForNonPayment':
      return { status: 'closed', orderId: event.data.orderId, outcome: 'cancelledForNonPayment' };
    case 'PaymentTimeoutLost':
      return { status: 'closed', orderId: event.data.orderId, outcome: 'timeoutLost' };
    default:
      return assertNever(event);
  }
}

function cancelForNonPayment(orderId: string, cancelledAt: string): CancelOrder {
  return { type: 'CancelOrder', orderId, reason: PAYMENT_TIMEOUT_REASON, cancelledAt, onlyIfUnpaid: true };
}

function cleared(input: OrderPaymentConfirmed | OrderShipped | OrderCancelled): Output {
  const { orderId } = input.data;
  switch (input.type) {
    case 'OrderPaymentConfirmed':
      return recordEvent({ type: 'PaymentDeadlineCleared', data: { orderId, because: 'paid', clearedAt: input.data.paidAt } });
    case 'OrderShipped':
      return recordEvent({ type: 'PaymentDeadlineCleared', data: { orderId, because: 'shipped', clearedAt: input.data.shippedAt } });
    case 'OrderCancelled':
      return recordEvent({ type: 'PaymentDeadlineCleared', data: { orderId, because: 'cancelled', clearedAt: input.data.cancelledAt } });
    default:
      return assertNever(input);
  }
}

function becauseOf(status: OrderStatus): 'paid' | 'shipped' | 'cancelled' {
  switch (status) {
    case 'PAID':
      return 'paid';
    case 'SHIPPED':
      return 'shipped';
    case 'CANCELLED':
      return 'cancelled';
    // A PLACED order cannot refuse a cancellation; if it ever did, the workflow must not spin on it.
    case 'PLACED':
      return 'cancelled';
    default:
      return assertNever(status);
  }
}
