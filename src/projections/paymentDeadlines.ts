/**
 * PaymentDeadlines: each order's payment deadline as the payment workflow keeps it (src/fulfilment/), for the
 * dashboard's "awaiting payment" panel: the orders still awaiting payment, soonest deadline first, and how
 * each one ended.
 */
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { Projection } from '../core/projection.ts';
import type { PaymentWorkflowEvent } from '../fulfilment/paymentEvents.ts';
import type { PaymentOutcome } from '../fulfilment/paymentWorkflow.ts';

export type PaymentDeadlineState = 'AWAITING_PAYMENT' | 'CANCELLING' | 'CLOSED';

export interface PaymentDeadlineView {
  readonly orderId: string;
  /** Null only for an order whose payment reached the workflow before the order itself (no deadline was set). */
  readonly customerId: string | null;
  readonly totalCents: number | null;
  readonly placedAt: string | null;
  readonly dueAt: string | null;
  readonly state: PaymentDeadlineState;
  readonly outcome: PaymentOutcome | null;
  readonly updatedAt: string;
}

export const paymentDeadlinesProjection: Projection<PaymentDeadlineView, PaymentWorkflowEvent> = {
  name: 'paymentDeadlines',
  version: 1,
  eventTypes: [
    'PaymentDeadlineSet',
    'PaymentDeadlineCleared',
    'PaymentDeadlineExpired',
    'OrderCancelledForNonPayment',
    'PaymentTimeoutLost',
  ],
  viewIds: (event) => [event.data.orderId],
  evolve: evolvePaymentDeadline,
};

function evolvePaymentDeadline(view: PaymentDeadlineView | null, event: EventEnvelope<PaymentWorkflowEvent>): PaymentDeadlineView {
  const current: PaymentDeadlineView = view ?? {
    orderId: event.data.orderId,
    customerId: null,
    totalCents: null,
    placedAt: null,
    dueAt: null,
    state: 'AWAITING_PAYMENT',
    outcome: null,
    updatedAt: event.occurredAt,
  };
  const closed = (outcome: PaymentOutcome): PaymentDeadlineView => ({ ...current, state: 'CLOSED', outcome, updatedAt: event.occurredAt });
  switch (event.type) {
    case 'PaymentDeadlineSet': {
      const { customerId, totalCents, placedAt, dueAt } = event.data;
      return { ...current, customerId, totalCents, placedAt, dueAt, state: 'AWAITING_PAYMENT', updatedAt: event.occurredAt };
    }
    case 'PaymentDeadlineExpired':
      return { ...current, state: 'CANCELLING', updatedAt: event.occurredAt };
    case 'PaymentDeadlineCleared':
      return closed(event.data.because);
    case 'OrderCancelledForNonPayment':
      return closed('cancelledForNonPayment');
    case 'PaymentTimeoutLost':
      return closed('timeoutLost');
    default:
      return assertNever(event);
  }
}
