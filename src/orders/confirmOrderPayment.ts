/** ConfirmOrderPayment: the payment provider took the money for a placed order. */
import { existingOrder, type Order } from './order.ts';
import { InvalidOrderTransitionError } from './orderErrors.ts';
import type { OrderPaymentConfirmed } from './orderEvents.ts';

export interface ConfirmOrderPayment {
  readonly type: 'ConfirmOrderPayment';
  readonly orderId: string;
  readonly paymentReference: string;
  readonly paidAt: string;
}

export function confirmOrderPayment(command: ConfirmOrderPayment, state: Order): OrderPaymentConfirmed[] {
  const order = existingOrder(state, command.orderId);
  if (order.status !== 'PLACED') throw new InvalidOrderTransitionError(command.orderId, order.status, 'CONFIRM_PAYMENT');
  return [
    {
      type: 'OrderPaymentConfirmed',
      data: {
        orderId: order.orderId,
        customerId: order.customerId,
        paymentReference: command.paymentReference,
        amountCents: order.totalCents,
        placedAt: order.placedAt,
        paidAt: command.paidAt,
      },
    },
  ];
}
