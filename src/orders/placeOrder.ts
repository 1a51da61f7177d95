import type { Order } from './order.ts';
import { OrderAlreadyPlacedError, OrderHasNoLinesError } from './orderErrors.ts';
import type { OrderLine, OrderPlaced } from './orderEvents.ts';

export interface PlaceOrder {
  readonly type: 'PlaceOrder';
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLine[];
  readonly placedAt: string;
}

export function placeOrder(command: PlaceOrder, state: Order): OrderPlaced[] {
  if (state.status !== 'none') throw new OrderAlreadyPlacedError(command.orderId);
  if (command.lines.length === 0) throw new OrderHasNoLinesError(command.orderId);
  const totalCents = command.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  return [
    {
      type: 'OrderPlaced',
      data: {
        orderId: command.orderId,
        customerId: command.customerId,
        lines: command.lines,
        totalCents,
        placedAt: command.placedAt,
      },
    },
  ];
}
