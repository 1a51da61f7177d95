/** The product aggregate's state: catalog entry (name, price, status) and stock (on hand, reservations). */
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
    };

export type ExistingProduct = Exclude<Product, { status: 'NONE' }>;

export const initialProduct = (): Product => ({ status: 'NONE' });

/**
 * Every order reserves stock on its products' streams, so a popular product's stream grows without end:
 * load it from a snapshot plus the tail. Bump stateVersion when the Product type changes shape
 * (3: status literals in upper case).
 */
export const PRODUCT_SNAPSHOTS: SnapshotPolicy = { every: 50, stateVersion: 3 };

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

export function evolveProduct(state: Product, event: ProductEvent): Product {
  if (event.type === 'ProductAdded') {
    const { productId, name, price, initialStock, lowStockThreshold } = event.data;
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
        reservations: {
          ...state.reservations,
          [event.data.orderId]: (state.reservations[event.data.orderId] ?? 0) + event.data.quantity,
        },
      };
    case 'StockReservationReleased': {
      const { [event.data.orderId]: _released, ...rest } = state.reservations;
      return { ...state, reservations: rest };
    }
    case 'ReservedStockShipped': {
      const { [event.data.orderId]: _shipped, ...rest } = state.reservations;
      return { ...state, reservations: rest, onHand: state.onHand - event.data.quantity, sold: state.sold + event.data.quantity };
    }
    default:
      return assertNever(event);
  }
}
