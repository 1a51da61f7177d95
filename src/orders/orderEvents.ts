/**
 * The order's events: each type's data schema at every version, and its type, inferred from the current
 * one. Order events carry what their readers need (the customer, the lines, when the order was placed),
 * so every projection can apply any one of them on its own, also when it arrives to fill a gap.
 *
 * Version 2 of OrderPlaced says where the order's units are reserved (`reservedIn`): for each product whose
 * stock is split over buckets (src/catalog/stockBucket.ts), the buckets holding its units, so cancelling or
 * shipping the order reads those buckets instead of all of them. Orders placed before v2 did not say: the
 * upcaster sets `reservedIn: null`, and releasing or shipping them looks in every bucket, as it always did.
 */
import { z } from 'zod';
import { defineEventTypes, type EventData } from '../core/eventRegistry.ts';
import type { DomainEvent } from '../core/eventStore.ts';
import { Cents, Id, Quantity } from '../core/eventValues.ts';

const Instant = z.string().min(1);
const Line = z.object({
  productId: Id,
  /** The product's name when the order was placed, as the customer saw it. */
  productName: z.string(),
  quantity: Quantity,
  /** The catalog price of one unit when the order was placed (cents). */
  unitPriceCents: Cents,
});
const Lines = z.array(Line).min(1);
/** Where one product's units for the order are reserved: the stock buckets (by index) that hold them. */
const ReservedBuckets = z.object({ productId: Id, buckets: z.array(z.number().int().min(0)).min(1) });
const Status = z.enum(['PLACED', 'PAID', 'SHIPPED', 'CANCELLED']);

export type OrderLine = EventData<typeof Line>;
export type ReservedBuckets = EventData<typeof ReservedBuckets>;
export type OrderStatus = z.infer<typeof Status>;

const OrderPlacedV1 = z.object({ orderId: Id, customerId: Id, lines: Lines, totalCents: Cents, placedAt: Instant });
const OrderPlacedV2 = OrderPlacedV1.extend({
  /** Products whose stock is in its own stream are not listed; null: placed before orders said (v1). */
  reservedIn: z.array(ReservedBuckets).nullable(),
});
const OrderPaymentConfirmedV1 = z.object({
  orderId: Id,
  customerId: Id,
  paymentReference: z.string(),
  amountCents: Cents,
  placedAt: Instant,
  paidAt: Instant,
});
const OrderShippedV1 = z.object({ orderId: Id, customerId: Id, lines: Lines, placedAt: Instant, shippedAt: Instant });
const OrderCancelledV1 = z.object({
  orderId: Id,
  customerId: Id,
  lines: Lines,
  totalCents: Cents,
  placedAt: Instant,
  previousStatus: Status.extract(['PLACED', 'PAID']),
  reason: z.string(),
  cancelledAt: Instant,
});

export type OrderPlaced = DomainEvent<'OrderPlaced', EventData<typeof OrderPlacedV2>>;
export type OrderPaymentConfirmed = DomainEvent<'OrderPaymentConfirmed', EventData<typeof OrderPaymentConfirmedV1>>;
export type OrderShipped = DomainEvent<'OrderShipped', EventData<typeof OrderShippedV1>>;
export type OrderCancelled = DomainEvent<'OrderCancelled', EventData<typeof OrderCancelledV1>>;

export type OrderEvent = OrderPlaced | OrderPaymentConfirmed | OrderShipped | OrderCancelled;

export const orderEventTypes = defineEventTypes<OrderEvent>({
  OrderPlaced: {
    versions: { 1: OrderPlacedV1, 2: OrderPlacedV2 },
    // Placed before orders recorded their buckets: unknown, so their stock moves look in every bucket.
    upcasters: { 1: (data: z.infer<typeof OrderPlacedV1>) => ({ ...data, reservedIn: null }) },
  },
  // The payment provider's reference identifies the customer's payment: personal, sealed with their data key.
  OrderPaymentConfirmed: {
    versions: { 1: OrderPaymentConfirmedV1 },
    personalData: { subject: 'customerId', fields: ['paymentReference'] },
  },
  OrderShipped: { versions: { 1: OrderShippedV1 } },
  OrderCancelled: { versions: { 1: OrderCancelledV1 } },
});

export const orderStreamId = (orderId: string): string => `order-${orderId}`;
