/**
 * What the payment workflow records in its own stream (`payment-<orderId>`): the deadline it set, and how
 * it ended. Inputs (the order's events, the deadline passing) are not copied here: each recorded event's
 * causation id names the input it answered.
 */
import { z } from 'zod';
import { defineEventTypes, type EventData } from '../core/eventRegistry.ts';
import type { DomainEvent } from '../core/eventStore.ts';
import { Cents, Id } from '../core/eventValues.ts';

const Instant = z.string().min(1);

const PaymentDeadlineSetV1 = z.object({ orderId: Id, customerId: Id, totalCents: Cents, placedAt: Instant, dueAt: Instant });
/** The order was paid, shipped or cancelled before its deadline: nothing left to do. */
const PaymentDeadlineClearedV1 = z.object({
  orderId: Id,
  because: z.enum(['paid', 'shipped', 'cancelled']),
  clearedAt: Instant,
});
/** The deadline passed on an unpaid order: the workflow asks for it to be cancelled. */
const PaymentDeadlineExpiredV1 = z.object({ orderId: Id, dueAt: Instant, expiredAt: Instant });
/** ...and the order was cancelled for it. */
const OrderCancelledForNonPaymentV1 = z.object({ orderId: Id, cancelledAt: Instant });
/** ...or the cancellation lost the race: the order was paid (or otherwise moved on) first. */
const PaymentTimeoutLostV1 = z.object({
  orderId: Id,
  because: z.enum(['paid', 'shipped', 'cancelled']),
  at: Instant,
});

export type PaymentDeadlineSet = DomainEvent<'PaymentDeadlineSet', EventData<typeof PaymentDeadlineSetV1>>;
export type PaymentDeadlineCleared = DomainEvent<'PaymentDeadlineCleared', EventData<typeof PaymentDeadlineClearedV1>>;
export type PaymentDeadlineExpired = DomainEvent<'PaymentDeadlineExpired', EventData<typeof PaymentDeadlineExpiredV1>>;
export type OrderCancelledForNonPayment = DomainEvent<'OrderCancelledForNonPayment', EventData<typeof OrderCancelledForNonPaymentV1>>;
export type PaymentTimeoutLost = DomainEvent<'PaymentTimeoutLost', EventData<typeof PaymentTimeoutLostV1>>;

export type PaymentWorkflowEvent =
  | PaymentDeadlineSet
  | PaymentDeadlineCleared
  | PaymentDeadlineExpired
  | OrderCancelledForNonPayment
  | PaymentTimeoutLost;

export const paymentWorkflowEventTypes = defineEventTypes<PaymentWorkflowEvent>({
  PaymentDeadlineSet: { versions: { 1: PaymentDeadlineSetV1 } },
  PaymentDeadlineCleared: { versions: { 1: PaymentDeadlineClearedV1 } },
  PaymentDeadlineExpired: { versions: { 1: PaymentDeadlineExpiredV1 } },
  OrderCancelledForNonPayment: { versions: { 1: OrderCancelledForNonPaymentV1 } },
  PaymentTimeoutLost: { versions: { 1: PaymentTimeoutLostV1 } },
});

export const paymentWorkflowStreamId = (orderId: string): string => `payment-${orderId}`;
