/**
 * A stock bucket: one of the streams a product's stock is split over, so that concurrent orders of one
 * product append to different streams instead of racing for the next version of one.
 *
 * A product added with `stockBuckets: n` owns the streams `stockBucketStreamId(productId, 0 … n-1)`. Its
 * initial stock stays in ProductAdded on the product stream and is shared out by `initialShare` (no event
 * per bucket at creation: a bucket stream starts with the first order, restock or discontinue that reaches
 * it). Everything that moves stock afterwards happens in a bucket: restocks, reservations, their release and
 * their shipping, with the same event types the product stream holds in the single-stream layout. A
 * discontinue is written to every bucket too, so an order racing it on any bucket loses its precondition and
 * is decided again against the discontinued product.
 *
 * No bucket ever gives more than it has (each append carries the bucket's expected version), so the product
 * as a whole never oversells; an order larger than one bucket takes units from several in one atomic commit.
 */
import { assertNever } from '../core/decider.ts';
import type { SnapshotPolicy } from '../core/snapshots.ts';
import { type ExistingProduct, withoutReservation, withReservation } from './product.ts';
import type { ProductEvent } from './productEvents.ts';

export interface StockBucket {
  /** Units restocked into this bucket. */
  readonly received: number;
  /** Units shipped out of this bucket. */
  readonly shipped: number;
  /** Units reserved here per order id. */
  readonly reservations: Readonly<Record<string, number>>;
  readonly discontinued: boolean;
}

export const initialStockBucket = (): StockBucket => ({ received: 0, shipped: 0, reservations: {}, discontinued: false });

/** A hot product's buckets grow with every order, like product streams did: load them from snapshots. */
export const STOCK_BUCKET_SNAPSHOTS: SnapshotPolicy = { every: 50, stateVersion: 1 };

/**
 * Bucket `bucket`'s part of `units` split over `buckets` buckets: an equal share, the first `units % buckets`
 * buckets one more. The shares add up to `units`.
 */
export function initialShare(units: number, buckets: number, bucket: number): number {
  return Math.floor(units / buckets) + (bucket < units % buckets ? 1 : 0);
}

export function bucketReservedUnits(bucket: StockBucket): number {
  return Object.values(bucket.reservations).reduce((sum, q) => sum + q, 0);
}

/** Units a new order can take from this bucket of this product. */
export function bucketAvailableUnits(product: ExistingProduct, index: number, bucket: StockBucket): number {
  return initialShare(product.onHand, product.stockBuckets, index) + bucket.received - bucket.shipped - bucketReservedUnits(bucket);
}

export function evolveStockBucket(state: StockBucket, event: ProductEvent): StockBucket {
  switch (event.type) {
    case 'ProductRestocked':
      return { ...state, received: state.received + event.data.quantity };
    case 'ProductDiscontinued':
      return { ...state, discontinued: true };
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
        shipped: state.shipped + event.data.quantity,
      };
    // Catalog events live on the product stream, never in a bucket.
    case 'ProductAdded':
    case 'ProductPriceChanged':
      return state;
    default:
      return assertNever(event);
  }
}

/** How a bucket stream is loaded (runCommand's loader, snapshots). */
export const stockBucketEvolution = {
  evolve: evolveStockBucket,
  initialState: initialStockBucket,
  snapshots: STOCK_BUCKET_SNAPSHOTS,
};

/** A bucket as a decision sees it: which one, and its state. */
export interface LoadedBucket {
  readonly index: number;
  readonly state: StockBucket;
}

/** What a stock command appends to each bucket (buckets without events left out). */
export type BucketEvents<E extends ProductEvent = ProductEvent> = ReadonlyArray<{ readonly bucket: number; readonly events: E[] }>;

/**
 * One event for each bucket that holds units for the order, made from the units it holds: what releasing or
 * shipping an order's reservation does on a bucketed product. Buckets holding nothing for it yield nothing.
 */
export function eventsForReservation<E extends ProductEvent>(
  buckets: readonly LoadedBucket[],
  orderId: string,
  eventFor: (quantity: number) => E,
): BucketEvents<E> {
  return buckets.flatMap(({ index, state }) => {
    const quantity = state.reservations[orderId];
    return quantity ? [{ bucket: index, events: [eventFor(quantity)] }] : [];
  });
}
