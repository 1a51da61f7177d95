/** The catalog commands a shop manager issues: add, reprice, restock, discontinue. */
import type { Product } from './product.ts';
import { active, existing } from './product.ts';
import { ProductAlreadyExistsError } from './productErrors.ts';
import type { ProductAdded, ProductDiscontinued, ProductPriceChanged, ProductRestocked } from './productEvents.ts';

export interface AddProduct {
  readonly type: 'AddProduct';
  readonly productId: string;
  readonly name: string;
  readonly priceCents: number;
  /** ISO 4217 code of the price's currency. */
  readonly currency: string;
  readonly initialStock: number;
  readonly lowStockThreshold: number;
}
export interface ChangeProductPrice {
  readonly type: 'ChangeProductPrice';
  readonly productId: string;
  readonly priceCents: number;
}
export interface RestockProduct {
  readonly type: 'RestockProduct';
  readonly productId: string;
  readonly quantity: number;
}
export interface DiscontinueProduct {
  readonly type: 'DiscontinueProduct';
  readonly productId: string;
}

export type ProductCatalogCommand = AddProduct | ChangeProductPrice | RestockProduct | DiscontinueProduct;

export function addProduct(command: AddProduct, state: Product): ProductAdded[] {
  if (state.status !== 'none') throw new ProductAlreadyExistsError(command.productId);
  const { productId, name, priceCents, currency, initialStock, lowStockThreshold } = command;
  return [
    { type: 'ProductAdded', data: { productId, name, price: { amountCents: priceCents, currency }, initialStock, lowStockThreshold } },
  ];
}

export function changeProductPrice(command: ChangeProductPrice, state: Product): ProductPriceChanged[] {
  const product = active(state, command.productId);
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

export function restockProduct(command: RestockProduct, state: Product): ProductRestocked[] {
  // Restocking a discontinued product is allowed: the units on the shelf are real either way.
  existing(state, command.productId);
  return [{ type: 'ProductRestocked', data: { productId: command.productId, quantity: command.quantity } }];
}

export function discontinueProduct(command: DiscontinueProduct, state: Product): ProductDiscontinued[] {
  const product = existing(state, command.productId);
  if (product.status === 'discontinued') return [];
  return [{ type: 'ProductDiscontinued', data: { productId: command.productId } }];
}
