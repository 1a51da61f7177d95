/** ReserveStock: an order being placed sets units aside; they stay on hand but are no longer available. */
import { activeProduct, availableUnits, type Product } from './product.ts';
import { InsufficientStockError } from './productErrors.ts';
import type { StockReserved } from './productEvents.ts';

export interface ReserveStock {
  readonly type: 'ReserveStock';
  readonly productId: string;
  readonly orderId: string;
  readonly quantity: number;
}

export function reserveStock(command: ReserveStock, state: Product): StockReserved[] {
  const product = activeProduct(state, command.productId);
  const available = availableUnits(product);
  if (command.quantity > available) throw new InsufficientStockError(command.productId, command.quantity, available);
  const { type: _type, ...data } = command;
  return [{ type: 'StockReserved', data }];
}
