/**
 * Product event schemas, by version. Version 2 of ProductAdded and ProductPriceChanged carries money as
 * an amount plus a currency; version 1 had a bare number of cents, which was always euro cents, so the
 * upcasters lift it into EUR. Stored v1 events stay as they are: they are lifted every time they are read.
 */
import { z } from 'zod';
import type { EventTypeDefinition } from '../core/eventRegistry.ts';

/** The shop's only currency before prices carried one. */
export const LEGACY_CURRENCY = 'EUR';

const Id = z.string().min(1);
const Cents = z.number().int().min(0);
const Quantity = z.number().int().min(1);
const Money = z.object({ amountCents: Cents, currency: z.string().regex(/^[A-Z]{3}$/) });
const StockMovement = z.object({ productId: Id, orderId: Id, quantity: Quantity });

const ProductAddedV1 = z.object({ productId: Id, name: z.string(), priceCents: Cents, initialStock: z.number().int().min(0), lowStockThreshold: z.number().int().min(0) });
const ProductAddedV2 = ProductAddedV1.omit({ priceCents: true }).extend({ price: Money });
const ProductPriceChangedV1 = z.object({ productId: Id, priceCents: Cents, previousPriceCents: Cents });
const ProductPriceChangedV2 = z.object({ productId: Id, price: Money, previousPrice: Money });

const legacyMoney = (amountCents: number) => ({ amountCents, currency: LEGACY_CURRENCY });

export const productEventTypes: EventTypeDefinition[] = [
  {
    type: 'ProductAdded',
    versions: { 1: ProductAddedV1, 2: ProductAddedV2 },
    upcasters: {
      1: ({ priceCents, ...rest }: z.infer<typeof ProductAddedV1>) => ({ ...rest, price: legacyMoney(priceCents) }),
    },
  },
  {
    type: 'ProductPriceChanged',
    versions: { 1: ProductPriceChangedV1, 2: ProductPriceChangedV2 },
    upcasters: {
      1: ({ productId, priceCents, previousPriceCents }: z.infer<typeof ProductPriceChangedV1>) => ({
        productId,
        price: legacyMoney(priceCents),
        previousPrice: legacyMoney(previousPriceCents),
      }),
    },
  },
  { type: 'ProductRestocked', versions: { 1: z.object({ productId: Id, quantity: Quantity }) } },
  { type: 'ProductDiscontinued', versions: { 1: z.object({ productId: Id }) } },
  { type: 'StockReserved', versions: { 1: StockMovement } },
  { type: 'StockReservationReleased', versions: { 1: StockMovement } },
  { type: 'ReservedStockShipped', versions: { 1: StockMovement } },
];
