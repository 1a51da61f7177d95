import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/core/eventStore.ts';
import type { OrderEvent } from '../../src/orders/orderEvents.ts';
import { customerOrderHistoryProjection, ordersNewestFirst } from '../../src/projections/customerOrderHistory.ts';

function placed(orderId: string, totalCents: number, placedAt: string): EventEnvelope<OrderEvent> {
  return {
    eventId: `e-${orderId}`,
    streamId: `order-${orderId}`,
    version: 1,
    type: 'OrderPlaced',
    schemaVersion: 1,
    data: {
      orderId,
      customerId: 'c1',
      lines: [{ productId: 'p1', productName: 'Kettle', quantity: 3, unitPriceCents: totalCents / 3 }],
      reservedIn: [],
      totalCents,
      placedAt,
    },
    occurredAt: placedAt,
    metadata: { correlationId: 'x', causationId: null },
  };
}

describe('CustomerOrderHistory projection', () => {
  it('given two placed orders, then the view lists both, newest first, with totals', () => {
    const events = [placed('o1', 300, '2026-11-29T10:00:00.000Z'), placed('o2', 600, '2026-11-29T11:00:00.000Z')];
    const view = events.reduce(customerOrderHistoryProjection.evolve, null);

    expect(view).toMatchObject({ customerId: 'c1', orderCount: 2, totalSpentCents: 900 });
    expect(ordersNewestFirst(view!).map((o) => [o.orderId, o.status, o.itemCount, o.version])).toEqual([
      ['o2', 'PLACED', 3, 1],
      ['o1', 'PLACED', 3, 1],
    ]);
  });

  it('routes every order event to its customer', () => {
    expect(customerOrderHistoryProjection.viewIds(placed('o1', 300, '2026-11-29T10:00:00.000Z'))).toEqual(['c1']);
  });
});

describe('CustomerOrderHistory across streams', () => {
  it('does not depend on the order in which the customer and order streams arrive', () => {
    const registered = {
      eventId: 'e-reg',
      streamId: 'customer-c1',
      version: 1,
      type: 'CustomerRegistered' as const,
      schemaVersion: 1,
      data: { customerId: 'c1', name: 'Ada', email: 'ada@example.com' },
      occurredAt: '2026-11-29T09:00:00.000Z',
      metadata: { correlationId: 'x', causationId: null },
    };
    const order = placed('o1', 300, '2026-11-29T10:00:00.000Z');
    const inOrder = [registered, order].reduce(customerOrderHistoryProjection.evolve as never, null);
    const reversed = [order, registered].reduce(customerOrderHistoryProjection.evolve as never, null);
    expect(reversed).toEqual(inOrder);
    expect(inOrder).toMatchObject({ name: 'Ada', orderCount: 1, updatedAt: '2026-11-29T10:00:00.000Z' });
  });
});
