/**
 * InventoryCount: per product, its catalog entry and stock counts. It doubles as the catalog listing,
 * and its `lowStock` flag drives the low-stock alerts.
 *
 * Every order writes the stock of the product it buys, so one document per product would cap a hot product
 * at about 1 write/s in production. The view is kept in shards that match the stock buckets: the product
 * stream writes shard 0 (the catalog entry, and all the stock of a product added before buckets existed),
 * bucket k writes shard 1 + k mod INVENTORY_BUCKET_SHARDS, and a read merges them (`mergeInventoryCounts`).
 * A bucket's shard then takes exactly its bucket's events, as the bucket stream's checkpoint does. The
 * catalog page and the low-stock query select by a summary per product (`queryFields`) that changes only
 * when the product turns low or recovers, or while it is low.
 */
import { type ProductEvent, productStreamId, stockBucketOf } from '../catalog/productEvents.ts';
import { DEFAULT_STOCK_BUCKETS } from '../catalog/addProduct.ts';
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { Projection } from '../core/projection.ts';

/**
 * Shards for the stock buckets, one per bucket of a product added with the default bucket count: each
 * takes its bucket's events only. A product with more buckets shares shards (bucket k and k + 16 write the
 * same one); at most MAX_SHARDS - 1, since a live view listens to all its shards with one `in` query.
 */
export const INVENTORY_BUCKET_SHARDS = DEFAULT_STOCK_BUCKETS;

/** The shard the product stream writes: the catalog entry. */
export const INVENTORY_PRODUCT_SHARD = 0;

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
  // 2: sharded by stock bucket (`<productId>~00` the catalog entry, `~01` ... `~16` the buckets) with a
  // summary per product (`<productId>`) for queries: a rebuild writes the new layout.
  version: 2,
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
  sharded: {
    shards: 1 + INVENTORY_BUCKET_SHARDS,
    merge: mergeInventoryCounts,
    shardOf: (event) => inventoryShardOf(event.streamId, event.data.productId),
    // What the catalog page and the low-stock alerts select by. The units left only while low: a low product
    // changing is news for its alert subscribers, one with plenty of stock changing is not.
    queryFields: (view) => ({ lowStock: view.lowStock, availableWhileLow: view.lowStock ? view.available : null }),
    // A shipment takes its units out of on-hand and reserved alike; a price is not queried.
    queryFieldsUnchangedBy: ['ReservedStockShipped', 'ProductPriceChanged'],
  },
};

/** The shard of a product's view a stream writes (see the module comment). */
export function inventoryShardOf(streamId: string, productId: string): number {
  const bucket = stockBucketOf(streamId, productId);
  if (bucket !== null) return 1 + (bucket % INVENTORY_BUCKET_SHARDS);
  if (streamId === productStreamId(productId)) return INVENTORY_PRODUCT_SHARD;
  throw new Error(`Stream ${streamId} holds no stock of product ${productId}`);
}

/**
 * A product's view from its shards. The catalog entry (name, price, threshold, status, version) is the product
 * stream's shard's, the one whose `version` moved (bucket shards never move it); a bucket's discontinue counts
 * even before the product stream's is applied, as it did in one document; the counts are sums.
 */
export function mergeInventoryCounts(parts: readonly InventoryCount[]): InventoryCount {
  const head = parts.reduce((best, part) => (part.version > best.version ? part : best), parts[0]!);
  let [onHand, reserved, sold, updatedAt] = [0, 0, 0, head.updatedAt];
  for (const part of parts) {
    onHand += part.onHand;
    reserved += part.reserved;
    sold += part.sold;
    if (part.updatedAt > updatedAt) updatedAt = part.updatedAt;
  }
  const status = parts.some((part) => part.status === 'DISCONTINUED') ? 'DISCONTINUED' : head.status;
  return withDerivedCounts({ ...head, status, onHand, reserved, sold, updatedAt });
}

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

function withDerivedCounts(view: Omit<InventoryCount, 'available' | 'lowStock'> & Partial<InventoryCount>): InventoryCount {
  const available = view.onHand - view.reserved;
  return { ...view, available, lowStock: view.status === 'ACTIVE' && available <= view.lowStockThreshold };
}
