/** RestockProduct: units arrive in the warehouse. */
import { existingProduct, type Product } from './product.ts';
import type { ProductRestocked } from './productEvents.ts';

export interface RestockProduct {
  readonly type: 'RestockProduct';
  readonly productId: string;
  readonly quantity: number;
}

export function restockProduct(command: RestockProduct, state: Product): ProductRestocked[] {
  // Restocking a discontinued product is allowed: the units on the shelf are real either way.
  existingProduct(state, command.productId);
  return [{ type: 'ProductRestocked', data: { productId: command.productId, quantity: command.quantity } }];
}
