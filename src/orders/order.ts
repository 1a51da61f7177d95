/** The order aggregate's state and how its events evolve it. */
import { assertNever } from '../core/decider.ts';
import { OrderNotFoundError } from './orderErrors.ts';
import type { OrderEvent, OrderLine, OrderStatus } from './orderEvents.ts';

export type Order =
  | { readonly status: 'NONE' }
  | {
      readonly status: OrderStatus;
      readonly orderId: string;
      readonly customerId: string;
      readonly lines: readonly OrderLine[];
      readonly totalCents: number;
      readonly placedAt: string;
    };

export type ExistingOrder = Exclude<Order, { status: 'NONE' }>;

export const initialOrder = (): Order => ({ status: 'NONE' });

export function existingOrder(order: Order, orderId: string): ExistingOrder {
  if (order.status === 'NONE') throw new OrderNotFoundError(orderId);
  return order;
}

export function evolveOrder(state: Order, event: OrderEvent): Order {
  if (event.type === 'OrderPlaced') {
    const { orderId, customerId, lines, totalCents, placedAt } = event.data;
    return { status: 'PLACED', orderId, customerId, lines, totalCents, placedAt };
  }
  if (state.status === 'NONE') return state;
  switch (event.type) {
    case 'OrderPaymentConfirmed':
      return { ...state, status: 'PAID' };
    case 'OrderShipped':
      return { ...state, status: 'SHIPPED' };
    case 'OrderCancelled':
      return { ...state, status: 'CANCELLED' };
    default:
      return assertNever(event);
  }
}
