/**
 * The product aggregate's state: catalog entry (name, price, status) and the stock its own stream holds.
 * A product added with `stockBuckets: 0` (every product added before buckets existed) keeps all its stock
 * here; one with buckets keeps only its initial stock here, shared out among its buckets, and every later
 * stock movement in the buckets (stockBucket.ts).
 */
import { assertNever } from '../core/decider.ts';
import type { SnapshotPolicy } from '../core/snapshots.ts';
import { ProductDiscontinuedError, ProductNotFoundError } from './productErrors.ts';
import type { ProductEvent } from './productEvents.ts';

export type Product =
  | { readonly status: 'NONE' }
  | {
      readonly status: 'ACTIVE' | 'DISCONTINUED';
      readonly productId: string;
      readonly name: string;
      readonly priceCents: number;
      readonly currency: string;
      readonly onHand: number;
      /** Units reserved per order id, so releasing or shipping an order moves exactly its units. */
      readonly reservations: Readonly<Record<string, number>>;
      readonly sold: number;
      readonly lowStockThreshold: number;
      /** How many stock buckets share the stock; 0: this stream holds it all. */
      readonly stockBuckets: number;
    };

export type ExistingProduct = Exclude<Product, { status: 'NONE' }>;

export const initialProduct = (): Product => ({ status: 'NONE' });

/**
 * Every order reserves stock on its products' streams, so a popular product's stream grows without end:
 * load it from a snapshot plus the tail. Bump stateVersion when the Product type changes shape
 * (3: status literals in upper case; 4: stockBuckets).
 */
export const PRODUCT_SNAPSHOTS: SnapshotPolicy = { every: 50, stateVersion: 4 };

export function reservedUnits(product: ExistingProduct): number {
  return Object.values(product.reservations).reduce((sum, q) => sum + q, 0);
}

export function availableUnits(product: ExistingProduct): number {
  return product.onHand - reservedUnits(product);
}

export function existingProduct(product: Product, productId: string): ExistingProduct {
  if (product.status === 'NONE') throw new ProductNotFoundError(productId);
  return product;
}

export function activeProduct(product: Product, productId: string): ExistingProduct {
  const found = existingProduct(product, productId);
  if (found.status === 'DISCONTINUED') throw new ProductDiscontinuedError(productId);
  return found;
}

/**
 * The product's own stream holds all its stock (the layout before buckets). Stock commands on a bucketed
 * product are decided over its buckets (decideOnProductStock.ts): deciding one on the product stream would
 * put stock where no order looks for it, so that is a programming error, not a business rule.
 */
export function singleStreamStock(product: ExistingProduct): ExistingProduct {
  if (product.stockBuckets > 0) {
    throw new Error(`Product ${product.productId} keeps its stock in ${product.stockBuckets} buckets: decide stock commands over them`);
  }
  return product;
}

export function evolveProduct(state: Product, event: ProductEvent): Product {
  if (event.type === 'ProductAdded') {
    const { productId, name, price, initialStock, lowStockThreshold, stockBuckets } = event.data;
    return {
      status: 'ACTIVE',
      productId,
      name,
      priceCents: price.amountCents,
      currency: price.currency,
      onHand: initialStock,
      reservations: {},
      sold: 0,
      lowStockThreshold,
      stockBuckets,
    };
  }
  if (state.status === 'NONE') return state;
  switch (event.type) {
    case 'ProductPriceChanged':
      return { ...state, priceCents: event.data.price.amountCents, currency: event.data.price.currency };
    case 'ProductRestocked':
      return { ...state, onHand: state.onHand + event.data.quantity };
    case 'ProductDiscontinued':
      return { ...state, status: 'DISCONTINUED' };
    case 'StockReserved':
      return {
        ...state,
        reservations: withReservation(state.reservations, event.data.orderId, event.data.quantity),
      };
    case 'StockReservationReleased':
      return { ...state, reservations: withoutReservation(state.reservations, event.data.orderId) };
    case 'ReservedStockShipped':
      return {
        ...state,
        reservations: withoutReservation(state.reservations, event.data.orderId),
        onHand: state.onHand - event.data.quantity,
        sold: state.sold + event.data.quantity,
      };
    default:
      return assertNever(event);
  }
}

/** Units held per order, as a product and each of its stock buckets keep them. */
export type Reservations = Readonly<Record<string, number>>;

/** An order's units held, added to what it already holds there. */
export function withReservation(reservations: Reservations, orderId: string, quantity: number): Reservations {
  return { ...reservations, [orderId]: (reservations[orderId] ?? 0) + quantity };
}

/** An order's units no longer held (released or shipped). */
export function withoutReservation(reservations: Reservations, orderId: string): Reservations {
  const { [orderId]: _gone, ...rest } = reservations;
  return rest;
}
