/** ConfirmOrderPayment: the payment provider took the money for a placed order. */
import type { Decision, StreamLoader } from '../core/commandHandler.ts';
import { existingOrder, orderEvolution, type Order } from './order.ts';
import { InvalidOrderTransitionError } from './orderErrors.ts';
import { orderStreamId, type OrderPaymentConfirmed } from './orderEvents.ts';
import type { OrderCommandResult } from './orderCommandResult.ts';

export interface ConfirmOrderPayment {
  readonly type: 'ConfirmOrderPayment';
  readonly orderId: string;
  readonly paymentReference: string;
  readonly paidAt: string;
}

export function decideConfirmOrderPayment(command: ConfirmOrderPayment, state: Order): OrderPaymentConfirmed[] {
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

export async function confirmOrderPaymentDecision(
  command: ConfirmOrderPayment,
  load: StreamLoader,
): Promise<Decision<OrderCommandResult>> {
  const streamId = orderStreamId(command.orderId);
  const { state, version } = await load.aggregate(streamId, orderEvolution);
  const events = decideConfirmOrderPayment(command, state);
  return {
    appends: [{ streamId, events }],
    result: { orderId: command.orderId, streamId, version: version + events.length, status: 'PAID' },
  };
}
