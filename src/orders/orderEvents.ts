import type { DomainEvent } from '../core/eventStore.ts';

export interface OrderLine {
  readonly productId: string;
  readonly quantity: number;
  /** Price of one unit in minor currency units (cents), fixed when the order is placed. */
  readonly unitPriceCents: number;
}

/**
 * Every order event names its customer so that per-customer views can place it without a lookup,
 * even when the event arrives on its own or fills a gap.
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

export type OrderEvent = OrderPlaced;

export const orderStreamId = (orderId: string): string => `order-${orderId}`;
