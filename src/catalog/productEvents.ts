import type { DomainEvent } from '../core/eventStore.ts';

/** An amount of money in minor units (cents) of an ISO 4217 currency. */
export interface Money {
  readonly amountCents: number;
  readonly currency: string;
}

/**
 * A product's stream holds its catalog entry and its stock. Reservations live here too, so "is there
 * enough stock?" is decided against one stream version and enforced by the same atomic commit that
 * places the order.
 */
export type ProductAdded = DomainEvent<
  'ProductAdded',
  {
    readonly productId: string;
    readonly name: string;
    readonly price: Money;
    readonly initialStock: number;
    readonly lowStockThreshold: number;
  }
>;
export type ProductPriceChanged = DomainEvent<
  'ProductPriceChanged',
  { readonly productId: string; readonly price: Money; readonly previousPrice: Money }
>;
export type ProductRestocked = DomainEvent<'ProductRestocked', { readonly productId: string; readonly quantity: number }>;
export type ProductDiscontinued = DomainEvent<'ProductDiscontinued', { readonly productId: string }>;
/** Units set aside for an order: no longer available, still on hand. */
export type StockReserved = DomainEvent<
  'StockReserved',
  { readonly productId: string; readonly orderId: string; readonly quantity: number }
>;
/** An order was cancelled: its units are available again. */
export type StockReservationReleased = DomainEvent<
  'StockReservationReleased',
  { readonly productId: string; readonly orderId: string; readonly quantity: number }
>;
/** An order shipped: its reserved units left the warehouse and count as sold. */
export type ReservedStockShipped = DomainEvent<
  'ReservedStockShipped',
  { readonly productId: string; readonly orderId: string; readonly quantity: number }
>;

export type ProductEvent =
  | ProductAdded
  | ProductPriceChanged
  | ProductRestocked
  | ProductDiscontinued
  | StockReserved
  | StockReservationReleased
  | ReservedStockShipped;

export const productStreamId = (productId: string): string => `product-${productId}`;
