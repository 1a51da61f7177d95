/** RestockProduct: units arrive in the warehouse. */
import { existingProduct, type Product, singleStreamStock } from './product.ts';
import type { ProductRestocked } from './productEvents.ts';
import { bucketAvailableUnits, type BucketEvents, initialShare, type LoadedBucket } from './stockBucket.ts';

export interface RestockProduct {
  readonly type: 'RestockProduct';
  readonly productId: string;
  readonly quantity: number;
}

export function restockProduct(command: RestockProduct, state: Product): ProductRestocked[] {
  // Restocking a discontinued product is allowed: the units on the shelf are real either way.
  singleStreamStock(existingProduct(state, command.productId));
  return [{ type: 'ProductRestocked', data: { productId: command.productId, quantity: command.quantity } }];
}

/**
 * RestockProduct on a bucketed product, given all its buckets: the units are shared out equally, and the
 * odd ones go to the buckets with the fewest units available, so the buckets stay level and an order
 * rarely has to gather its units from several.
 */
export function restockBuckets(command: RestockProduct, state: Product, buckets: readonly LoadedBucket[]): BucketEvents<ProductRestocked> {
  const product = existingProduct(state, command.productId);
  const emptiestFirst = [...buckets].sort(
    (a, b) => bucketAvailableUnits(product, a.index, a.state) - bucketAvailableUnits(product, b.index, b.state) || a.index - b.index,
  );
  return emptiestFirst
    .map(({ index }, rank) => ({ bucket: index, quantity: initialShare(command.quantity, buckets.length, rank) }))
    .filter(({ quantity }) => quantity > 0)
    .sort((a, b) => a.bucket - b.bucket)
    .map(({ bucket, quantity }) => ({
      bucket,
      events: [{ type: 'ProductRestocked' as const, data: { productId: command.productId, quantity } }],
    }));
}
