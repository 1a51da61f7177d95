/**
 * The product's events: each type's data schema at every version, and its TypeScript type, inferred from
 * the current version. A product's stream holds its catalog entry and its stock. Reservations live here
 * too, so "is there enough stock?" is decided against one stream version and enforced by the same
 * atomic commit that places the order.
 *
 * Version 2 of ProductAdded and ProductPriceChanged carries money as an amount plus a currency; version 1
 * had a bare number of cents, which was always euro cents, so the upcasters lift it into EUR. Stored v1
 * events stay as they are: they are lifted every time they are read.
 *
 * Version 3 of ProductAdded says over how many stock buckets the product's stock is split (`stockBuckets`,
 * see stockBucket.ts): products added before buckets existed keep all their stock in their own stream,
 * which is what `stockBuckets: 0` means, so the upcaster from v2 sets 0. The stock events (ProductRestocked,
 * StockReserved, StockReservationReleased, ReservedStockShipped, ProductDiscontinued) keep their shape: in a
 * bucketed product they are appended to the bucket streams (`stockBucketStreamId`), which say which bucket.
 */
import { z } from 'zod';
import { defineEventTypes, type EventData } from '../core/eventRegistry.ts';
import type { DomainEvent } from '../core/eventStore.ts';
import { Cents, Id, Quantity } from '../core/eventValues.ts';

/** The shop's only currency before prices carried one. */
export const LEGACY_CURRENCY = 'EUR';

/** Most buckets a product's stock may be split over: a restock or a discontinue writes to each in one commit. */
export const MAX_STOCK_BUCKETS = 64;

/** An amount of money in minor units (cents) of an ISO 4217 currency. */
const Money = z.object({ amountCents: Cents, currency: z.string().regex(/^[A-Z]{3}$/) });
const StockMovement = z.object({ productId: Id, orderId: Id, quantity: Quantity });

const ProductAddedV1 = z.object({
  productId: Id,
  name: z.string(),
  priceCents: Cents,
  initialStock: z.number().int().min(0),
  lowStockThreshold: z.number().int().min(0),
});
const ProductAddedV2 = ProductAddedV1.omit({ priceCents: true }).extend({ price: Money });
const ProductAddedV3 = ProductAddedV2.extend({ stockBuckets: z.number().int().min(0).max(MAX_STOCK_BUCKETS) });
const ProductPriceChangedV1 = z.object({ productId: Id, priceCents: Cents, previousPriceCents: Cents });
const ProductPriceChangedV2 = z.object({ productId: Id, price: Money, previousPrice: Money });
const ProductRestockedV1 = z.object({ productId: Id, quantity: Quantity });
const ProductDiscontinuedV1 = z.object({ productId: Id });

export type ProductAdded = DomainEvent<'ProductAdded', EventData<typeof ProductAddedV3>>;
export type ProductPriceChanged = DomainEvent<'ProductPriceChanged', EventData<typeof ProductPriceChangedV2>>;
export type ProductRestocked = DomainEvent<'ProductRestocked', EventData<typeof ProductRestockedV1>>;
export type ProductDiscontinued = DomainEvent<'ProductDiscontinued', EventData<typeof ProductDiscontinuedV1>>;
/** Units set aside for an order: no longer available, still on hand. */
export type StockReserved = DomainEvent<'StockReserved', EventData<typeof StockMovement>>;
/** An order was cancelled: its units are available again. */
export type StockReservationReleased = DomainEvent<'StockReservationReleased', EventData<typeof StockMovement>>;
/** An order shipped: its reserved units left the warehouse and count as sold. */
export type ReservedStockShipped = DomainEvent<'ReservedStockShipped', EventData<typeof StockMovement>>;

export type ProductEvent =
  | ProductAdded
  | ProductPriceChanged
  | ProductRestocked
  | ProductDiscontinued
  | StockReserved
  | StockReservationReleased
  | ReservedStockShipped;

const legacyMoney = (amountCents: number) => ({ amountCents, currency: LEGACY_CURRENCY });

export const productEventTypes = defineEventTypes<ProductEvent>({
  ProductAdded: {
    versions: { 1: ProductAddedV1, 2: ProductAddedV2, 3: ProductAddedV3 },
    upcasters: {
      1: ({ priceCents, ...rest }: z.infer<typeof ProductAddedV1>) => ({ ...rest, price: legacyMoney(priceCents) }),
      // Added before stock was split: the product's own stream holds all of it.
      2: (data: z.infer<typeof ProductAddedV2>) => ({ ...data, stockBuckets: 0 }),
    },
  },
  ProductPriceChanged: {
    versions: { 1: ProductPriceChangedV1, 2: ProductPriceChangedV2 },
    upcasters: {
      1: ({ productId, priceCents, previousPriceCents }: z.infer<typeof ProductPriceChangedV1>) => ({
        productId,
        price: legacyMoney(priceCents),
        previousPrice: legacyMoney(previousPriceCents),
      }),
    },
  },
  ProductRestocked: { versions: { 1: ProductRestockedV1 } },
  ProductDiscontinued: { versions: { 1: ProductDiscontinuedV1 } },
  StockReserved: { versions: { 1: StockMovement } },
  StockReservationReleased: { versions: { 1: StockMovement } },
  ReservedStockShipped: { versions: { 1: StockMovement } },
});

export const productStreamId = (productId: string): string => `product-${productId}`;

/**
 * The stream of one of a product's stock buckets. Unambiguous although product ids may contain `-`: the
 * bucket number after the last `-` has none.
 */
export const stockBucketStreamId = (productId: string, bucket: number): string => `productStock-${productId}-${bucket}`;

/** Which of `productId`'s stock buckets a stream is (stockBucketStreamId read back), or null for any other stream. */
export function stockBucketOf(streamId: string, productId: string): number | null {
  const prefix = `productStock-${productId}-`;
  if (!streamId.startsWith(prefix)) return null;
  const bucket = streamId.slice(prefix.length);
  return /^\d+$/.test(bucket) ? Number(bucket) : null;
}
