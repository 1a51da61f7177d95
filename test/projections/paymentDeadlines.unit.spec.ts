import { describe, expect, it } from 'vitest';
import type { PaymentWorkflowEvent } from '../../src/fulfilment/paymentEvents.ts';
import { paymentDeadlinesProjection, type PaymentDeadlineView } from '../../src/projections/paymentDeadlines.ts';
import { envelope, project } from '../support/envelopes.ts';

const placedAt = '2026-11-29T15:00:00.000Z';
const dueAt = '2026-11-29T15:30:00.000Z';
const set: PaymentWorkflowEvent = {
  type: 'PaymentDeadlineSet',
  data: { orderId: 'o1', customerId: 'c1', totalCents: 5900, placedAt, dueAt },
};
const expired: PaymentWorkflowEvent = {
  type: 'PaymentDeadlineExpired',
  data: { orderId: 'o1', dueAt, expiredAt: '2026-11-29T15:31:00.000Z' },
};

function given(...events: PaymentWorkflowEvent[]): PaymentDeadlineView {
  return project(
    paymentDeadlinesProjection,
    events.map((e, i) => envelope('payment-o1', i + 1, e, placedAt)),
  ).o1!;
}

describe('payment deadlines view', () => {
  it('lists an order awaiting payment with its deadline', () => {
    expect(given(set)).toEqual({
      orderId: 'o1',
      customerId: 'c1',
      totalCents: 5900,
      placedAt,
      dueAt,
      state: 'AWAITING_PAYMENT',
      outcome: null,
      updatedAt: placedAt,
    });
  });

  it('follows the workflow to its end: cancelling, then how it ended', () => {
    expect(given(set, expired)).toMatchObject({ state: 'CANCELLING', dueAt });
    expect(
      given(set, expired, { type: 'OrderCancelledForNonPayment', data: { orderId: 'o1', cancelledAt: '2026-11-29T15:31:00.000Z' } }),
    ).toMatchObject({ state: 'CLOSED', outcome: 'cancelledForNonPayment' });
    expect(given(set, expired, { type: 'PaymentTimeoutLost', data: { orderId: 'o1', because: 'paid', at: dueAt } })).toMatchObject({
      state: 'CLOSED',
      outcome: 'timeoutLost',
    });
    expect(given(set, { type: 'PaymentDeadlineCleared', data: { orderId: 'o1', because: 'paid', clearedAt: dueAt } })).toMatchObject({
      state: 'CLOSED',
      outcome: 'paid',
      dueAt,
    });
  });

  it('closes an order that was paid before the workflow saw it placed, with no deadline', () => {
    expect(given({ type: 'PaymentDeadlineCleared', data: { orderId: 'o1', because: 'paid', clearedAt: dueAt } })).toMatchObject({
      state: 'CLOSED',
      outcome: 'paid',
      dueAt: null,
      customerId: null,
    });
  });
});
