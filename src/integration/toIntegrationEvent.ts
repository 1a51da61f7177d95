/** Which domain events become integration events, and how: the one place the public contract is mapped. */
import type { EventEnvelope } from '../core/eventStore.ts';
import type { CustomerForgotten } from '../customers/customerEvents.ts';
import type { OrderEvent } from '../orders/orderEvents.ts';
import { INTEGRATION_EVENT_SOURCE, integrationEventSchemas, type IntegrationEvent } from './integrationEvents.ts';

const PUBLISHED: ReadonlySet<string> = new Set<PublishedEvent['type']>([
  'OrderPlaced',
  'OrderPaymentConfirmed',
  'OrderShipped',
  'OrderCancelled',
  'CustomerForgotten',
]);
type PublishedEvent = OrderEvent | CustomerForgotten;

export function toIntegrationEvent(envelope: EventEnvelope): IntegrationEvent | null {
  if (!PUBLISHED.has(envelope.type)) return null;
  const event = envelope as EventEnvelope<PublishedEvent>;
  const base = {
    specversion: '1.0' as const,
    // The domain event's id: a consumer that sees it twice knows it is the same event.
    id: event.eventId,
    source: INTEGRATION_EVENT_SOURCE,
    subject: event.type === 'CustomerForgotten' ? event.data.customerId : event.data.orderId,
    time: event.occurredAt,
    datacontenttype: 'application/json' as const,
  };
  const integrationEvent = ((): IntegrationEvent => {
    switch (event.type) {
      case 'OrderPlaced': {
        const { orderId, customerId, lines, totalCents, placedAt } = event.data;
        return {
          ...base,
          type: 'eventloom.shop.order.placed.v1',
          data: {
            orderId,
            customerId,
            lines: lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
            totalCents,
            placedAt,
          },
        };
      }
      case 'OrderPaymentConfirmed': {
        const { orderId, customerId, amountCents, paymentReference, paidAt } = event.data;
        return { ...base, type: 'eventloom.shop.order.paid.v1', data: { orderId, customerId, amountCents, paymentReference, paidAt } };
      }
      case 'OrderShipped': {
        const { orderId, customerId, lines, shippedAt } = event.data;
        return {
          ...base,
          type: 'eventloom.shop.order.shipped.v1',
          data: { orderId, customerId, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })), shippedAt },
        };
      }
      case 'OrderCancelled': {
        const { orderId, customerId, reason, totalCents, previousStatus, cancelledAt } = event.data;
        return {
          ...base,
          type: 'eventloom.shop.order.cancelled.v1',
          data: { orderId, customerId, reason, refundDueCents: previousStatus === 'PAID' ? totalCents : 0, cancelledAt },
        };
      }
      case 'CustomerForgotten': {
        const { customerId, forgottenAt } = event.data;
        return { ...base, type: 'eventloom.shop.customer.forgotten.v1', data: { customerId, forgottenAt } };
      }
    }
  })();
  // Never publish something that breaks the contract: fail loudly here rather than in a consumer.
  return integrationEventSchemas[integrationEvent.type].parse(integrationEvent) as IntegrationEvent;
}
