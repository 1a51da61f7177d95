/** Stock movements driven by orders: reserve on placing, release on cancelling, ship on shipping. */
import type { Product } from './product.ts';
import { active, availableUnits, existing } from './product.ts';
import { InsufficientStockError } from './productErrors.ts';
import type { ReservedStockShipped, StockReservationReleased, StockReserved } from './productEvents.ts';

export interface ReserveStock {
  readonly type: 'ReserveStock';
  readonly productId: string;
  readonly orderId: string;
  readonly quantity: number;
}
export interface ReleaseStock {
  readonly type: 'ReleaseStock';
  readonly productId: string;
  readonly orderId: string;
}
export interface ShipReservedStock {
  readonly type: 'ShipReservedStock';
  readonly productId: string;
  readonly orderId: string;
}

export type StockCommand = ReserveStock | ReleaseStock | ShipReservedStock;

export function reserveStock(command: ReserveStock, state: Product): StockReserved[] {
  const product = active(state, command.productId);
  const available = availableUnits(product);
  if (command.quantity > available) throw new InsufficientStockError(command.productId, command.quantity, available);
  const { type: _type, ...data } = command;
  return [{ type: 'StockReserved', data }];
}

/** Idempotent: an order with nothing reserved here releases nothing. */
export function releaseStock(command: ReleaseStock, state: Product): StockReservationReleased[] {
  const product = existing(state, command.productId);
  const quantity = product.reservations[command.orderId];
  if (!quantity) return [];
  return [{ type: 'StockReservationReleased', data: { productId: command.productId, orderId: command.orderId, quantity } }];
}

/** Idempotent: an order with nothing reserved here ships nothing from it. */
export function shipReservedStock(command: ShipReservedStock, state: Product): ReservedStockShipped[] {
  const product = existing(state, command.productId);
  const quantity = product.reservations[command.orderId];
  if (!quantity) return [];
  return [{ type: 'ReservedStockShipped', data: { productId: command.productId, orderId: command.orderId, quantity } }];
}
