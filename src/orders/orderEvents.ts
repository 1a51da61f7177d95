import type { DomainEvent } from '../core/eventStore.ts';

export interface OrderLine {
  readonly productId: string;
  /** The product's name when the order was placed, as the customer saw it. */
  readonly productName: string;
  readonly quantity: number;
  /** The catalog price of one unit when the order was placed (cents). */
  readonly unitPriceCents: number;
}

export type OrderStatus = 'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED';

/**
 * Order events carry what their readers need (the customer, the lines, when the order was placed),
 * so every projection can apply any one of them on its own, also when it arrives to fill a gap.
 */
export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  {
    readonly orderId: string;
    readonly customerId: string;
    readonly lines: readonly OrderLine[];
    readonly totalCents: number;
    readonly placedAt: string;
  }
>;
export type OrderPaymentConfirmed = DomainEvent<
  'OrderPaymentConfirmed',
  {
    readonly orderId: string;
    readonly customerId: string;
    readonly paymentReference: string;
    readonly amountCents: number;
    readonly placedAt: string;
    readonly paidAt: string;
  }
>;
export type OrderShipped = DomainEvent<
  'OrderShipped',
  {
    readonly orderId: string;
    readonly customerId: string;
    readonly lines: readonly OrderLine[];
    readonly placedAt: string;
    readonly shippedAt: string;
  }
>;
export type OrderCancelled = DomainEvent<
  'OrderCancelled',
  {
    readonly orderId: string;
    readonly customerId: string;
    readonly lines: readonly OrderLine[];
    readonly totalCents: number;
    readonly placedAt: string;
    readonly previousStatus: 'PLACED' | 'PAID';
    readonly reason: string;
    readonly cancelledAt: string;
  }
>;

export type OrderEvent = OrderPlaced | OrderPaymentConfirmed | OrderShipped | OrderCancelled;

export const orderStreamId = (orderId: string): string => `order-${orderId}`;
