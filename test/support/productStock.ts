/**
 * A product's stock as the event store holds it, wherever it is: its own stream (products from before stock
 * buckets) and every bucket stream. What tests compare the API's answers and the read models with.
 */
import { evolveProduct, existingProduct, initialProduct } from '../../src/catalog/product.ts';
import { type ProductEvent, productStreamId, stockBucketStreamId } from '../../src/catalog/productEvents.ts';
import { bucketAvailableUnits, evolveStockBucket, initialStockBucket } from '../../src/catalog/stockBucket.ts';
import type { EventEnvelope, EventStore } from '../../src/core/eventStore.ts';

export interface StoredStock {
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  readonly sold: number;
  /** Units reserved per order, over every stream that holds stock. */
  readonly reservations: Readonly<Record<string, number>>;
  /** Units available per bucket (empty for a product without buckets). */
  readonly availableByBucket: readonly number[];
  /** Every stock event of the product's buckets, by bucket. */
  readonly bucketEvents: ReadonlyArray<readonly EventEnvelope[]>;
}

export async function storedStock(store: EventStore, productId: string): Promise<StoredStock> {
  const own = await store.readStream(productStreamId(productId));
  const product = existingProduct(
    own.reduce((s, e) => evolveProduct(s, e as EventEnvelope<ProductEvent>), initialProduct()),
    productId,
  );
  const bucketEvents = await Promise.all(
    Array.from({ length: product.stockBuckets }, (_, i) => store.readStream(stockBucketStreamId(productId, i))),
  );
  const buckets = bucketEvents.map((events) =>
    events.reduce((s, e) => evolveStockBucket(s, e as EventEnvelope<ProductEvent>), initialStockBucket()),
  );
  const reservations: Record<string, number> = {};
  for (const r of [product.reservations, ...buckets.map((b) => b.reservations)]) {
    for (const [orderId, units] of Object.entries(r)) reservations[orderId] = (reservations[orderId] ?? 0) + units;
  }
  const onHand = product.onHand + buckets.reduce((sum, b) => sum + b.received - b.shipped, 0);
  const reserved = Object.values(reservations).reduce((sum, units) => sum + units, 0);
  const sold = product.sold + buckets.reduce((sum, b) => sum + b.shipped, 0);
  const availableByBucket = buckets.map((b, i) => bucketAvailableUnits(product, i, b));
  // No bucket ever gives more than it holds.
  const oversold = availableByBucket.findIndex((units) => units < 0);
  if (oversold >= 0) throw new Error(`${productId}: bucket ${oversold} oversold (${availableByBucket[oversold]} available)`);
  return { onHand, reserved, available: onHand - reserved, sold, reservations, availableByBucket, bucketEvents };
}
