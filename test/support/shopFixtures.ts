/** Events that set the scene in shop specifications. */
import type { ProductEvent } from '../../src/catalog/productEvents.ts';
import type { CustomerEvent } from '../../src/customers/customerEvents.ts';
import type { OrderEvent, OrderLine } from '../../src/orders/orderEvents.ts';

export const T0 = '2026-11-29T15:00:00.000Z';

export function productAdded(productId: string, priceCents: number, initialStock: number, name = `Product ${productId}`): ProductEvent {
  return { type: 'ProductAdded', data: { productId, name, priceCents, initialStock, lowStockThreshold: 5 } };
}

export function stockReserved(productId: string, orderId: string, quantity: number): ProductEvent {
  return { type: 'StockReserved', data: { productId, orderId, quantity } };
}

export function customerRegistered(customerId: string, name = 'Ada Lovelace', email = 'ada@example.com'): CustomerEvent {
  return { type: 'CustomerRegistered', data: { customerId, name, email } };
}

export function line(productId: string, quantity: number, unitPriceCents: number): OrderLine {
  return { productId, productName: `Product ${productId}`, quantity, unitPriceCents };
}

export function orderPlaced(orderId: string, customerId: string, lines: OrderLine[], placedAt = T0): OrderEvent {
  const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  return { type: 'OrderPlaced', data: { orderId, customerId, lines, totalCents, placedAt } };
}
