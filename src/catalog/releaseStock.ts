/** ReleaseStock: a cancelled order's reserved units become available again. */
import { existingProduct, type Product, singleStreamStock } from './product.ts';
import type { StockReservationReleased } from './productEvents.ts';
import { type BucketEvents, eventsForReservation, type LoadedBucket } from './stockBucket.ts';

export interface ReleaseStock {
  readonly type: 'ReleaseStock';
  readonly productId: string;
  readonly orderId: string;
  /** The buckets holding the order's units, when the order says (OrderPlaced v2); otherwise every bucket is searched. */
  readonly inBuckets?: readonly number[];
}

/** Idempotent: an order with nothing reserved here releases nothing. */
export function releaseStock(command: ReleaseStock, state: Product): StockReservationReleased[] {
  const product = singleStreamStock(existingProduct(state, command.productId));
  const quantity = product.reservations[command.orderId];
  if (!quantity) return [];
  return [{ type: 'StockReservationReleased', data: { productId: command.productId, orderId: command.orderId, quantity } }];
}

/** ReleaseStock on a bucketed product: each bucket given that holds units for the order releases them. */
export function releaseStockInBuckets(
  command: ReleaseStock,
  state: Product,
  buckets: readonly LoadedBucket[],
): BucketEvents<StockReservationReleased> {
  existingProduct(state, command.productId);
  const { productId, orderId } = command;
  return eventsForReservation(buckets, orderId, (quantity) => ({
    type: 'StockReservationReleased',
    data: { productId, orderId, quantity },
  }));
}
