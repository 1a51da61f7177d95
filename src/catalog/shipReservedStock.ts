/** ShipReservedStock: a shipped order's reserved units leave the warehouse and count as sold. */
import { existingProduct, type Product } from './product.ts';
import type { ReservedStockShipped } from './productEvents.ts';

export interface ShipReservedStock {
  readonly type: 'ShipReservedStock';
  readonly productId: string;
  readonly orderId: string;
}

/** Idempotent: an order with nothing reserved here ships nothing from it. */
export function shipReservedStock(command: ShipReservedStock, state: Product): ReservedStockShipped[] {
  const product = existingProduct(state, command.productId);
  const quantity = product.reservations[command.orderId];
  if (!quantity) return [];
  return [{ type: 'ReservedStockShipped', data: { productId: command.productId, orderId: command.orderId, quantity } }];
}
