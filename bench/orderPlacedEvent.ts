/** The event the store-level measurements append: the size and shape of a real OrderPlaced with two lines. */
import { randomUUID } from 'node:crypto';
import type { NewEvent } from '../src/core/eventStore.ts';

export function newOrderPlaced(): NewEvent {
  const orderId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'OrderPlaced',
    data: {
      orderId,
      customerId: `c-${orderId.slice(0, 8)}`,
      lines: [
        { productId: 'sku-kettle', quantity: 2, unitPriceCents: 2500 },
        { productId: 'sku-mug', quantity: 1, unitPriceCents: 900 },
      ],
      totalCents: 5900,
      placedAt: new Date().toISOString(),
      reservedIn: [
        { productId: 'sku-kettle', buckets: [3] },
        { productId: 'sku-mug', buckets: [11] },
      ],
    },
    occurredAt: new Date().toISOString(),
    metadata: { correlationId: randomUUID(), causationId: null, actor: null, command: 'PlaceOrder' },
  };
}
