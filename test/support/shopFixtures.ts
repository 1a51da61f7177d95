/** Events that set the scene in shop specifications. */
import type { ProductEvent } from '../../src/catalog/productEvents.ts';
import type { CustomerEvent } from '../../src/customers/customerEvents.ts';
import type { OrderEvent, OrderLine, ReservedBuckets } from '../../src/orders/orderEvents.ts';

export const T0 = '2026-11-29T15:00:00.000Z';

export const eur = (amountCents: number) => ({ amountCents, currency: 'EUR' });

/** A product added with its stock in its own stream (`stockBuckets: 0`), as every product was before buckets. */
export function productAdded(
  productId: string,
  priceCents: number,
  initialStock: number,
  name = `Product ${productId}`,
  stockBuckets = 0,
): ProductEvent {
  return { type: 'ProductAdded', data: { productId, name, price: eur(priceCents), initialStock, lowStockThreshold: 5, stockBuckets } };
}

/** A product whose stock is split over `stockBuckets` buckets. */
export function bucketedProductAdded(
  productId: string,
  priceCents: number,
  initialStock: number,
  stockBuckets: number,
  name = `Product ${productId}`,
): ProductEvent {
  return productAdded(productId, priceCents, initialStock, name, stockBuckets);
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

/** `reservedIn`: the buckets of bucketed products holding its units (none: products that keep stock in their own stream). */
export function orderPlaced(
  orderId: string,
  customerId: string,
  lines: OrderLine[],
  placedAt = T0,
  reservedIn: ReservedBuckets[] | null = [],
): OrderEvent {
  const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  return { type: 'OrderPlaced', data: { orderId, customerId, lines, totalCents, placedAt, reservedIn } };
}

export const T1 = '2026-11-29T16:00:00.000Z';
export const T2 = '2026-11-30T09:00:00.000Z';

export function productPriceChanged(productId: string, priceCents: number, previousPriceCents: number): ProductEvent {
  return { type: 'ProductPriceChanged', data: { productId, price: eur(priceCents), previousPrice: eur(previousPriceCents) } };
}

export function productRestocked(productId: string, quantity: number): ProductEvent {
  return { type: 'ProductRestocked', data: { productId, quantity } };
}

export function productDiscontinued(productId: string): ProductEvent {
  return { type: 'ProductDiscontinued', data: { productId } };
}

export function stockReservationReleased(productId: string, orderId: string, quantity: number): ProductEvent {
  return { type: 'StockReservationReleased', data: { productId, orderId, quantity } };
}

export function reservedStockShipped(productId: string, orderId: string, quantity: number): ProductEvent {
  return { type: 'ReservedStockShipped', data: { productId, orderId, quantity } };
}

export function customerDetailsChanged(customerId: string, name: string, email: string): CustomerEvent {
  return { type: 'CustomerDetailsChanged', data: { customerId, name, email } };
}

function totalOf(lines: readonly OrderLine[]): number {
  return lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
}

export function orderPaymentConfirmed(
  orderId: string,
  customerId: string,
  amountCents: number,
  { paymentReference = `pay-${orderId}`, placedAt = T0, paidAt = T1 } = {},
): OrderEvent {
  return { type: 'OrderPaymentConfirmed', data: { orderId, customerId, paymentReference, amountCents, placedAt, paidAt } };
}

export function orderShipped(orderId: string, customerId: string, lines: OrderLine[], { placedAt = T0, shippedAt = T2 } = {}): OrderEvent {
  return { type: 'OrderShipped', data: { orderId, customerId, lines, placedAt, shippedAt } };
}

export function orderCancelled(
  orderId: string,
  customerId: string,
  lines: OrderLine[],
  previousStatus: 'PLACED' | 'PAID',
  { reason = 'changed my mind', placedAt = T0, cancelledAt = T2 } = {},
): OrderEvent {
  return {
    type: 'OrderCancelled',
    data: { orderId, customerId, lines, totalCents: totalOf(lines), placedAt, previousStatus, reason, cancelledAt },
  };
}
