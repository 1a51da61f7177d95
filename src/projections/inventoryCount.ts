/**
 * InventoryCount: per product, its catalog entry and stock counts. It doubles as the catalog listing,
 * and its `lowStock` flag drives the low-stock alerts.
 */
import { type ProductEvent, productStreamId } from '../catalog/productEvents.ts';
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { Projection } from '../core/projection.ts';

export type ProductStatus = 'ACTIVE' | 'DISCONTINUED';

export interface InventoryCount {
  readonly productId: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly status: ProductStatus;
  /** Units in the warehouse, reserved ones included. */
  readonly onHand: number;
  /** Units set aside for placed or paid orders. */
  readonly reserved: number;
  /** Units a new order can take: on hand minus reserved. */
  readonly available: number;
  /** Units shipped to customers. */
  readonly sold: number;
  readonly lowStockThreshold: number;
  /** An active product with `available <= lowStockThreshold`: stored, so a query can select on it. */
  readonly lowStock: boolean;
  readonly updatedAt: string;
  /** The product stream's version this view reflects. */
  readonly version: number;
}

export const inventoryCountProjection: Projection<InventoryCount, ProductEvent> = {
  name: 'inventoryCount',
  version: 1,
  eventTypes: [
    'ProductAdded',
    'ProductPriceChanged',
    'ProductRestocked',
    'ProductDiscontinued',
    'StockReserved',
    'StockReservationReleased',
    'ReservedStockShipped',
  ],
  viewIds: (event) => [event.data.productId],
  evolve: evolveInventoryCount,
};

/**
 * Stands in for a product whose ProductAdded was not applied. The projector fills gaps from the
 * stream, so this only shows if a stream does not start with ProductAdded.
 */
function unknownProduct(productId: string): InventoryCount {
  return {
    productId,
    name: '',
    priceCents: 0,
    currency: '',
    status: 'ACTIVE',
    onHand: 0,
    reserved: 0,
    available: 0,
    sold: 0,
    lowStockThreshold: 0,
    lowStock: true,
    updatedAt: new Date(0).toISOString(),
    version: 0,
  };
}

export function evolveInventoryCount(view: InventoryCount | null, event: EventEnvelope<ProductEvent>): InventoryCount {
  const current = view ?? unknownProduct(event.data.productId);
  // Only the product stream's own events move `version`, the token its commands answer with; a bucket's
  // events come from streams of their own (stockBucketStreamId), in no order relative to it.
  const version = event.streamId === productStreamId(event.data.productId) ? event.version : current.version;
  // The latest instant seen, so a replay in commit order ends where the live view, applied in arrival order, did.
  const updatedAt = event.occurredAt > current.updatedAt ? event.occurredAt : current.updatedAt;
  const next = (changes: Partial<InventoryCount>): InventoryCount => withDerivedCounts({ ...current, ...changes, updatedAt, version });
  switch (event.type) {
    case 'ProductAdded': {
      const { productId, name, price, initialStock, lowStockThreshold } = event.data;
      // Added to, not replacing, the counts: a bucket's first reservation may be applied before ProductAdded.
      return next({
        productId,
        name,
        priceCents: price.amountCents,
        currency: price.currency,
        status: 'ACTIVE',
        onHand: current.onHand + initialStock,
        lowStockThreshold,
      });
    }
    case 'ProductPriceChanged':
      return next({ priceCents: event.data.price.amountCents, currency: event.data.price.currency });
    case 'ProductRestocked':
      return next({ onHand: current.onHand + event.data.quantity });
    case 'ProductDiscontinued':
      return next({ status: 'DISCONTINUED' });
    case 'StockReserved':
      return next({ reserved: current.reserved + event.data.quantity });
    case 'StockReservationReleased':
      return next({ reserved: current.reserved - event.data.quantity });
    case 'ReservedStockShipped':
      return next({
        reserved: current.reserved - event.data.quantity,
        onHand: current.onHand - event.data.quantity,
        sold: current.sold + event.data.quantity,
      });
    default:
      return assertNever(event);
  }
}

function withDerivedCounts(view: InventoryCount): InventoryCount {
  const available = view.onHand - view.reserved;
  return { ...view, available, lowStock: view.status === 'ACTIVE' && available <= view.lowStockThreshold };
}
