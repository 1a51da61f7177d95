/** DiscontinueProduct: the product is no longer sold; its stock and reservations stay as they are. */
import { existingProduct, type Product } from './product.ts';
import type { ProductDiscontinued } from './productEvents.ts';
import type { BucketEvents, LoadedBucket } from './stockBucket.ts';

export interface DiscontinueProduct {
  readonly type: 'DiscontinueProduct';
  readonly productId: string;
}

export function discontinueProduct(command: DiscontinueProduct, state: Product): ProductDiscontinued[] {
  const product = existingProduct(state, command.productId);
  if (product.status === 'DISCONTINUED') return [];
  return [{ type: 'ProductDiscontinued', data: { productId: command.productId } }];
}

/**
 * What discontinuing a bucketed product writes to its buckets, beside ProductDiscontinued on its stream:
 * the same event in every bucket, so an order that read the product as active and reserves in any bucket
 * fails its precondition and is decided again, and refused.
 */
export function discontinueBuckets(
  command: DiscontinueProduct,
  state: Product,
  buckets: readonly LoadedBucket[],
): BucketEvents<ProductDiscontinued> {
  const product = existingProduct(state, command.productId);
  if (product.status === 'DISCONTINUED') return [];
  return buckets
    .filter((b) => !b.state.discontinued)
    .map(({ index }) => ({ bucket: index, events: [{ type: 'ProductDiscontinued' as const, data: { productId: command.productId } }] }));
}
