import { describe, it } from 'vitest';
import { recordEvent, sendCommand } from '../../src/core/workflow.ts';
import type { PaymentWorkflowEvent } from '../../src/fulfilment/paymentEvents.ts';
import {
  PAYMENT_TIMEOUT_REASON,
  type PaymentDeadlineReached,
  type OrderCancellationRejected,
  paymentWorkflow,
} from '../../src/fulfilment/paymentWorkflow.ts';
import { workflowSpec } from '../support/workflowSpec.ts';
import { line, orderCancelled, orderPaymentConfirmed, orderPlaced, orderShipped, T0 } from '../support/shopFixtures.ts';

// o1 is placed at T0 = 15:00 with a 30-minute payment window: due at 15:30.
const lines = [line('kettle', 2, 2500)];
const placed = orderPlaced('o1', 'c1', lines);
const DUE = '2026-11-29T15:30:00.000Z';
const LATE = '2026-11-29T15:31:00.000Z';
const spec = workflowSpec(paymentWorkflow({ paymentWindowMs: 30 * 60 * 1000 }));

const deadlineSet: PaymentWorkflowEvent = {
  type: 'PaymentDeadlineSet',
  data: { orderId: 'o1', customerId: 'c1', totalCents: 5000, placedAt: T0, dueAt: DUE },
};
const expired: PaymentWorkflowEvent = { type: 'PaymentDeadlineExpired', data: { orderId: 'o1', dueAt: DUE, expiredAt: LATE } };
const cancelForNonPayment = {
  type: 'CancelOrder',
  orderId: 'o1',
  reason: PAYMENT_TIMEOUT_REASON,
  cancelledAt: LATE,
  onlyIfUnpaid: true,
} as const;
const reached = (firedAt: string): PaymentDeadlineReached => ({ type: 'PaymentDeadlineReached', data: { orderId: 'o1', firedAt } });
const rejected = (status: 'PAID' | 'SHIPPED' | 'CANCELLED'): OrderCancellationRejected => ({
  type: 'OrderCancellationRejected',
  data: { orderId: 'o1', status, rejectedAt: LATE },
});
const paidAt = '2026-11-29T15:20:00.000Z';
const paid = orderPaymentConfirmed('o1', 'c1', 5000, { paidAt });

describe('payment workflow', () => {
  it('sets a deadline one payment window after the order was placed', () => {
    spec
      .given([])
      .when(placed)
      .then([recordEvent(deadlineSet)]);
  });

  it('clears the deadline when the order is paid, shipped or cancelled in time', () => {
    spec
      .given([deadlineSet])
      .when(paid)
      .then([recordEvent({ type: 'PaymentDeadlineCleared', data: { orderId: 'o1', because: 'paid', clearedAt: paidAt } })]);
    spec
      .given([deadlineSet])
      .when(orderCancelled('o1', 'c1', lines, 'PLACED', { cancelledAt: paidAt }))
      .then([recordEvent({ type: 'PaymentDeadlineCleared', data: { orderId: 'o1', because: 'cancelled', clearedAt: paidAt } })]);
  });

  it('asks for the unpaid order to be cancelled once the deadline has passed', () => {
    spec
      .given([deadlineSet])
      .when(reached(LATE))
      .then([recordEvent(expired), sendCommand(cancelForNonPayment)]);
  });

  it('does nothing when a sweep fires before the deadline (a clock ahead of ours)', () => {
    spec.given([deadlineSet]).when(reached('2026-11-29T15:29:59.000Z')).then([]);
  });

  it('records the cancellation it asked for', () => {
    spec
      .given([deadlineSet, expired])
      .when(orderCancelled('o1', 'c1', lines, 'PLACED', { reason: PAYMENT_TIMEOUT_REASON, cancelledAt: LATE }))
      .then([recordEvent({ type: 'OrderCancelledForNonPayment', data: { orderId: 'o1', cancelledAt: LATE } })]);
  });

  it('asks again, with the same command, while the cancellation has not been answered (a crash after the decision)', () => {
    spec
      .given([deadlineSet, expired])
      .when(reached('2026-11-29T15:45:00.000Z'))
      .then([sendCommand(cancelForNonPayment)]);
  });

  it('records that the timeout lost when the payment won the race, whichever news comes first', () => {
    spec
      .given([deadlineSet, expired])
      .when(paid)
      .then([recordEvent({ type: 'PaymentTimeoutLost', data: { orderId: 'o1', because: 'paid', at: paidAt } })]);
    spec
      .given([deadlineSet, expired])
      .when(rejected('PAID'))
      .then([recordEvent({ type: 'PaymentTimeoutLost', data: { orderId: 'o1', because: 'paid', at: LATE } })]);
  });

  it('records a lost timeout when someone else cancelled the order first', () => {
    spec
      .given([deadlineSet, expired])
      .when(orderCancelled('o1', 'c1', lines, 'PLACED', { reason: 'changed my mind', cancelledAt: LATE }))
      .then([recordEvent({ type: 'PaymentTimeoutLost', data: { orderId: 'o1', because: 'cancelled', at: LATE } })]);
  });

  it('decides nothing more once closed: duplicates and late news change nothing', () => {
    const closedByPayment: PaymentWorkflowEvent = {
      type: 'PaymentDeadlineCleared',
      data: { orderId: 'o1', because: 'paid', clearedAt: paidAt },
    };
    for (const input of [placed, paid, reached(LATE), rejected('PAID'), orderShipped('o1', 'c1', lines)]) {
      spec.given([deadlineSet, closedByPayment]).when(input).then([]);
    }
    spec.given([deadlineSet]).when(placed).then([]);
  });

  it('never sets a deadline for an order whose payment arrived before its OrderPlaced (unordered delivery)', () => {
    spec
      .given([])
      .when(paid)
      .then([recordEvent({ type: 'PaymentDeadlineCleared', data: { orderId: 'o1', because: 'paid', clearedAt: paidAt } })]);
    spec
      .given([{ type: 'PaymentDeadlineCleared', data: { orderId: 'o1', because: 'paid', clearedAt: paidAt } }])
      .when(placed)
      .then([]);
  });

  it('ignores deadlines and rejections it knows nothing about', () => {
    spec.given([]).when(reached(LATE)).then([]);
    spec.given([deadlineSet]).when(rejected('PAID')).then([]);
  });
});
