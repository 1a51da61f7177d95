/** ReserveStock: an order being placed sets units aside; they stay on hand but are no longer available. */
import { activeProduct, availableUnits, type Product, singleStreamStock } from './product.ts';
import { InsufficientStockError, ProductDiscontinuedError } from './productErrors.ts';
import type { StockReserved } from './productEvents.ts';
import { bucketAvailableUnits, type BucketEvents, type LoadedBucket } from './stockBucket.ts';

export interface ReserveStock {
  readonly type: 'ReserveStock';
  readonly productId: string;
  readonly orderId: string;
  readonly quantity: number;
}

export function reserveStock(command: ReserveStock, state: Product): StockReserved[] {
  const product = singleStreamStock(activeProduct(state, command.productId));
  const available = availableUnits(product);
  if (command.quantity > available) throw new InsufficientStockError(command.productId, command.quantity, available);
  const { type: _type, ...data } = command;
  return [{ type: 'StockReserved', data }];
}

/**
 * ReserveStock on a product whose stock is split over buckets: takes the units from the buckets given, in
 * the order given, as many from each as it has, until the order has them all. The caller gives the bucket
 * it picked first (concurrent orders start at different ones) and, when that one alone cannot serve the
 * order, every bucket: so an order is refused only when the whole product lacks the units, and then it is
 * told how many the product has.
 */
export function reserveStockInBuckets(
  command: ReserveStock,
  state: Product,
  buckets: readonly LoadedBucket[],
): BucketEvents<StockReserved> {
  const product = activeProduct(state, command.productId);
  // A discontinue reaches the buckets in the same commit as the product stream: either shows it.
  if (buckets.some((b) => b.state.discontinued)) throw new ProductDiscontinuedError(command.productId);
  const available = buckets.map((b) => Math.max(0, bucketAvailableUnits(product, b.index, b.state)));
  const total = available.reduce((sum, units) => sum + units, 0);
  if (command.quantity > total) throw new InsufficientStockError(command.productId, command.quantity, total);
  const { productId, orderId } = command;
  const reservations: Array<{ bucket: number; events: StockReserved[] }> = [];
  let missing = command.quantity;
  for (const [i, bucket] of buckets.entries()) {
    const quantity = Math.min(missing, available[i]!);
    if (quantity === 0) continue;
    reservations.push({ bucket: bucket.index, events: [{ type: 'StockReserved', data: { productId, orderId, quantity } }] });
    missing -= quantity;
    if (missing === 0) break;
  }
  return reservations;
}
