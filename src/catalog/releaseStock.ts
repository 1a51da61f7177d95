/** ReleaseStock: a cancelled order's reserved units become available again. */
import { existingProduct, type Product } from './product.ts';
import type { StockReservationReleased } from './productEvents.ts';

export interface ReleaseStock {
  readonly type: 'ReleaseStock';
  readonly productId: string;
  readonly orderId: string;
}

/** Idempotent: an order with nothing reserved here releases nothing. */
export function releaseStock(command: ReleaseStock, state: Product): StockReservationReleased[] {
  const product = existingProduct(state, command.productId);
  const quantity = product.reservations[command.orderId];
  if (!quantity) return [];
  return [{ type: 'StockReservationReleased', data: { productId: command.productId, orderId: command.orderId, quantity } }];
}
