/**
 * AddProduct: a shop manager puts a new product in the catalog, with its price and initial stock, split
 * over `stockBuckets` buckets (stockBucket.ts) so that concurrent orders rarely write to the same stream.
 */
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
  /** 1 to MAX_STOCK_BUCKETS; more buckets, fewer collisions between concurrent orders, costlier restocks. */
  readonly stockBuckets: number;
}

/**
 * Buckets of a product added without saying: enough that the orders one API instance has in flight for
 * one product rarely share a bucket, few enough that a restock's commit (one event per bucket) stays small.
 */
export const DEFAULT_STOCK_BUCKETS = 16;

export function addProduct(command: AddProduct, state: Product): ProductAdded[] {
  if (state.status !== 'NONE') throw new ProductAlreadyExistsError(command.productId);
  const { productId, name, priceCents, currency, initialStock, lowStockThreshold, stockBuckets } = command;
  const price = { amountCents: priceCents, currency };
  return [{ type: 'ProductAdded', data: { productId, name, price, initialStock, lowStockThreshold, stockBuckets } }];
}
