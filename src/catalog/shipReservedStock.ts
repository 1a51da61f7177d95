/** ShipReservedStock: a shipped order's reserved units leave the warehouse and count as sold. */
import { existingProduct, type Product, singleStreamStock } from './product.ts';
import type { ReservedStockShipped } from './productEvents.ts';
import { type BucketEvents, eventsForReservation, type LoadedBucket } from './stockBucket.ts';

export interface ShipReservedStock {
  readonly type: 'ShipReservedStock';
  readonly productId: string;
  readonly orderId: string;
  /** The buckets holding the order's units, when the order says (OrderPlaced v2); otherwise every bucket is searched. */
  readonly inBuckets?: readonly number[];
}

/** Idempotent: an order with nothing reserved here ships nothing from it. */
export function shipReservedStock(command: ShipReservedStock, state: Product): ReservedStockShipped[] {
  const product = singleStreamStock(existingProduct(state, command.productId));
  const quantity = product.reservations[command.orderId];
  if (!quantity) return [];
  return [{ type: 'ReservedStockShipped', data: { productId: command.productId, orderId: command.orderId, quantity } }];
}

/** ShipReservedStock on a bucketed product: each bucket given that holds units for the order ships them. */
export function shipReservedStockFromBuckets(
  command: ShipReservedStock,
  state: Product,
  buckets: readonly LoadedBucket[],
): BucketEvents<ReservedStockShipped> {
  existingProduct(state, command.productId);
  const { productId, orderId } = command;
  return eventsForReservation(buckets, orderId, (quantity) => ({ type: 'ReservedStockShipped', data: { productId, orderId, quantity } }));
}
