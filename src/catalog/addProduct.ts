/** AddProduct: a shop manager puts a new product in the catalog, with its price and initial stock. */
import type { Product } from './product.ts';
import { ProductAlreadyExistsError } from './productErrors.ts';
import type { ProductAdded } from './productEvents.ts';

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

export function addProduct(command: AddProduct, state: Product): ProductAdded[] {
  if (state.status !== 'NONE') throw new ProductAlreadyExistsError(command.productId);
  const { productId, name, priceCents, currency, initialStock, lowStockThreshold } = command;
  return [
    { type: 'ProductAdded', data: { productId, name, price: { amountCents: priceCents, currency }, initialStock, lowStockThreshold } },
  ];
}
