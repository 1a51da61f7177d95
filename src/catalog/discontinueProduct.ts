/** DiscontinueProduct: the product is no longer sold; its stock and reservations stay as they are. */
import { existingProduct, type Product } from './product.ts';
import type { ProductDiscontinued } from './productEvents.ts';

export interface DiscontinueProduct {
  readonly type: 'DiscontinueProduct';
  readonly productId: string;
}

export function discontinueProduct(command: DiscontinueProduct, state: Product): ProductDiscontinued[] {
  const product = existingProduct(state, command.productId);
  if (product.status === 'DISCONTINUED') return [];
  return [{ type: 'ProductDiscontinued', data: { productId: command.productId } }];
}
