/** ChangeProductPrice: a new price for an active product, in the currency it already has. */
import { activeProduct, type Product } from './product.ts';
import type { ProductPriceChanged } from './productEvents.ts';

export interface ChangeProductPrice {
  readonly type: 'ChangeProductPrice';
  readonly productId: string;
  readonly priceCents: number;
}

export function changeProductPrice(command: ChangeProductPrice, state: Product): ProductPriceChanged[] {
  const product = activeProduct(state, command.productId);
  if (product.priceCents === command.priceCents) return [];
  return [
    {
      type: 'ProductPriceChanged',
      data: {
        productId: command.productId,
        // A price changes its amount, never its currency.
        price: { amountCents: command.priceCents, currency: product.currency },
        previousPrice: { amountCents: product.priceCents, currency: product.currency },
      },
    },
  ];
}
