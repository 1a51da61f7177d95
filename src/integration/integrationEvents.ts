/**
 * Integration events: the public, versioned contract other bounded contexts consume, kept apart from
 * the internal domain events so those can change freely. Each is a CloudEvents 1.0 envelope (structured
 * JSON) on its own topic. Changing a payload incompatibly means a new type version (`.v2`), published
 * beside the old one until its consumers have moved.
 *
 * The zod schemas below are the source of truth; `npm run schema:print` writes them as JSON Schema to
 * schema/integration-events/ for consumers in any language.
 */
import { z } from 'zod';
import { Cents, Id, Quantity } from '../core/eventValues.ts';

const Instant = z.iso.datetime({ offset: true });

const OrderPlacedV1 = z
  .object({
    orderId: Id,
    customerId: Id,
    lines: z.array(z.object({ productId: Id, quantity: Quantity, unitPriceCents: Cents }).strict()).min(1),
    totalCents: Cents,
    placedAt: Instant,
  })
  .strict();

const OrderPaidV1 = z
  .object({
    orderId: Id,
    customerId: Id,
    amountCents: Cents,
    paymentReference: z.string().min(1),
    paidAt: Instant,
  })
  .strict();

const OrderShippedV1 = z
  .object({
    orderId: Id,
    customerId: Id,
    lines: z.array(z.object({ productId: Id, quantity: Quantity }).strict()).min(1),
    shippedAt: Instant,
  })
  .strict();

const OrderCancelledV1 = z
  .object({
    orderId: Id,
    customerId: Id,
    reason: z.string(),
    /** What the customer paid and must get back: 0 when the order was cancelled before payment. */
    refundDueCents: Cents,
    cancelledAt: Instant,
  })
  .strict();

/**
 * A customer asked to be forgotten (GDPR art. 17): consumers erase what they keep about `customerId` (payment
 * references from order.paid.v1, names in their own stores). It carries nothing personal but the pseudonymous id.
 */
const CustomerForgottenV1 = z.object({ customerId: Id, forgottenAt: Instant }).strict();

export const INTEGRATION_EVENT_SOURCE = '//eventloom/shop' as const;

function cloudEvent<Type extends string, Data extends z.ZodType>(type: Type, data: Data) {
  return z
    .object({
      specversion: z.literal('1.0'),
      id: Id,
      source: z.literal(INTEGRATION_EVENT_SOURCE),
      type: z.literal(type),
      subject: Id,
      time: Instant,
      datacontenttype: z.literal('application/json'),
      data,
    })
    .strict()
    .meta({ title: type, description: `Eventloom integration event ${type} (CloudEvents 1.0, structured JSON).` });
}

export const integrationEventSchemas = {
  'eventloom.shop.order.placed.v1': cloudEvent('eventloom.shop.order.placed.v1', OrderPlacedV1),
  'eventloom.shop.order.paid.v1': cloudEvent('eventloom.shop.order.paid.v1', OrderPaidV1),
  'eventloom.shop.order.shipped.v1': cloudEvent('eventloom.shop.order.shipped.v1', OrderShippedV1),
  'eventloom.shop.order.cancelled.v1': cloudEvent('eventloom.shop.order.cancelled.v1', OrderCancelledV1),
  'eventloom.shop.customer.forgotten.v1': cloudEvent('eventloom.shop.customer.forgotten.v1', CustomerForgottenV1),
} as const;

export type IntegrationEventType = keyof typeof integrationEventSchemas;
export type IntegrationEvent = z.infer<(typeof integrationEventSchemas)[IntegrationEventType]>;

/** The JSON Schema of each integration event, as published under schema/integration-events/. */
export function integrationEventJsonSchemas(): Record<IntegrationEventType, object> {
  return Object.fromEntries(
    Object.entries(integrationEventSchemas).map(([type, schema]) => [type, z.toJSONSchema(schema, { target: 'draft-2020-12' })]),
  ) as Record<IntegrationEventType, object>;
}
