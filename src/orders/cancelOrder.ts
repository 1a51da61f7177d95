/** CancelOrder: a placed or paid order is called off; its reserved units become available again (decideOnOrder.ts). */
import { existingOrder, type Order } from './order.ts';
import { InvalidOrderTransitionError } from './orderErrors.ts';
import type { OrderCancelled } from './orderEvents.ts';

export interface CancelOrder {
  readonly type: 'CancelOrder';
  readonly orderId: string;
  readonly reason: string;
  readonly cancelledAt: string;
  /** Cancel only an order that is still unpaid (the payment workflow's cancellation must never undo a payment). */
  readonly onlyIfUnpaid?: boolean;
}

export function cancelOrder(command: CancelOrder, state: Order): OrderCancelled[] {
  const order = existingOrder(state, command.orderId);
  if ((order.status !== 'PLACED' && order.status !== 'PAID') || (command.onlyIfUnpaid && order.status === 'PAID')) {
    throw new InvalidOrderTransitionError(command.orderId, order.status, 'CANCEL');
  }
  return [
    {
      type: 'OrderCancelled',
      data: {
        orderId: order.orderId,
        customerId: order.customerId,
        lines: order.lines,
        totalCents: order.totalCents,
        placedAt: order.placedAt,
        previousStatus: order.status,
        reason: command.reason,
        cancelledAt: command.cancelledAt,
      },
    },
  ];
}
