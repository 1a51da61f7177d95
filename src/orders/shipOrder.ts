/** ShipOrder: a paid order leaves the warehouse; its reserved units become sold (decideOnOrder.ts). */
import { existingOrder, type Order } from './order.ts';
import { InvalidOrderTransitionError } from './orderErrors.ts';
import type { OrderShipped } from './orderEvents.ts';

export interface ShipOrder {
  readonly type: 'ShipOrder';
  readonly orderId: string;
  readonly shippedAt: string;
}

export function shipOrder(command: ShipOrder, state: Order): OrderShipped[] {
  const order = existingOrder(state, command.orderId);
  if (order.status !== 'PAID') throw new InvalidOrderTransitionError(command.orderId, order.status, 'SHIP');
  return [
    {
      type: 'OrderShipped',
      data: {
        orderId: order.orderId,
        customerId: order.customerId,
        lines: order.lines,
        placedAt: order.placedAt,
        shippedAt: command.shippedAt,
      },
    },
  ];
}
