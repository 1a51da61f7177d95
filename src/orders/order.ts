/** The order aggregate's state and how its events evolve it. */
import { assertNever } from '../core/decider.ts';
import { OrderNotFoundError } from './orderErrors.ts';
import type { OrderEvent, OrderLine, OrderStatus, ReservedBuckets } from './orderEvents.ts';

export type Order =
  | { readonly status: 'NONE' }
  | {
      readonly status: OrderStatus;
      readonly orderId: string;
      readonly customerId: string;
      readonly lines: readonly OrderLine[];
      readonly totalCents: number;
      readonly placedAt: string;
      /** Where its units are reserved, per bucketed product (OrderPlaced v2); null: placed before orders said. */
      readonly reservedIn: readonly ReservedBuckets[] | null;
    };

export type ExistingOrder = Exclude<Order, { status: 'NONE' }>;

export const initialOrder = (): Order => ({ status: 'NONE' });

export function existingOrder(order: Order, orderId: string): ExistingOrder {
  if (order.status === 'NONE') throw new OrderNotFoundError(orderId);
  return order;
}

/**
 * The stock buckets holding the order's units of a product, or undefined when the order does not say (placed
 * before orders recorded them, or a product whose stock is in its own stream): then look in every bucket.
 */
export function bucketsHolding(order: ExistingOrder, productId: string): readonly number[] | undefined {
  return order.reservedIn?.find((r) => r.productId === productId)?.buckets;
}

export function evolveOrder(state: Order, event: OrderEvent): Order {
  if (event.type === 'OrderPlaced') {
    const { orderId, customerId, lines, totalCents, placedAt, reservedIn } = event.data;
    return { status: 'PLACED', orderId, customerId, lines, totalCents, placedAt, reservedIn };
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
