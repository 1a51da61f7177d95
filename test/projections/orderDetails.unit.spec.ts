import { describe, expect, it } from 'vitest';
import type { OrderEvent } from '../../src/orders/orderEvents.ts';
import { orderDetailsProjection, type OrderDetails } from '../../src/projections/orderDetails.ts';
import { envelope, project } from '../support/envelopes.ts';

const placedAt = '2026-11-29T15:00:00.000Z';
const lines = [
  { productId: 'sku-kettle', productName: 'Kettle', quantity: 2, unitPriceCents: 2500 },
  { productId: 'sku-mug', productName: 'Mug', quantity: 1, unitPriceCents: 900 },
];
const base = { orderId: 'o1', customerId: 'c1', placedAt };

const placed: OrderEvent = { type: 'OrderPlaced', data: { ...base, lines, totalCents: 5900, reservedIn: [] } };
const paid: OrderEvent = {
  type: 'OrderPaymentConfirmed',
  data: { ...base, paymentReference: 'pay-42', amountCents: 5900, paidAt: '2026-11-29T15:05:00.000Z' },
};
const shipped: OrderEvent = { type: 'OrderShipped', data: { ...base, lines, shippedAt: '2026-11-30T08:00:00.000Z' } };
const cancelled = (previousStatus: 'PLACED' | 'PAID'): OrderEvent => ({
  type: 'OrderCancelled',
  data: { ...base, lines, totalCents: 5900, previousStatus, reason: 'changed my mind', cancelledAt: '2026-11-29T16:00:00.000Z' },
});

function given(...events: OrderEvent[]): OrderDetails {
  const envelopes = events.map((e, i) => envelope('order-o1', i + 1, e, occurredAt(e)));
  return project(orderDetailsProjection, envelopes).o1!;
}

function occurredAt(event: OrderEvent): string {
  switch (event.type) {
    case 'OrderPlaced':
      return event.data.placedAt;
    case 'OrderPaymentConfirmed':
      return event.data.paidAt;
    case 'OrderShipped':
      return event.data.shippedAt;
    case 'OrderCancelled':
      return event.data.cancelledAt;
  }
}

describe('OrderDetails projection', () => {
  it('given a placed order, then it shows its lines with line totals, the total and a one-step timeline', () => {
    expect(given(placed)).toEqual({
      orderId: 'o1',
      customerId: 'c1',
      lines: [
        { productId: 'sku-kettle', productName: 'Kettle', quantity: 2, unitPriceCents: 2500, lineTotalCents: 5000 },
        { productId: 'sku-mug', productName: 'Mug', quantity: 1, unitPriceCents: 900, lineTotalCents: 900 },
      ],
      totalCents: 5900,
      status: 'PLACED',
      timeline: [{ status: 'PLACED', at: placedAt }],
      placedAt,
      paymentReference: null,
      updatedAt: placedAt,
      version: 1,
    });
  });

  it('given payment and shipping, then the status, payment reference and timeline follow', () => {
    expect(given(placed, paid, shipped)).toMatchObject({
      status: 'SHIPPED',
      paymentReference: 'pay-42',
      timeline: [
        { status: 'PLACED', at: placedAt },
        { status: 'PAID', at: '2026-11-29T15:05:00.000Z' },
        { status: 'SHIPPED', at: '2026-11-30T08:00:00.000Z' },
      ],
      updatedAt: '2026-11-30T08:00:00.000Z',
      version: 3,
    });
  });

  it('given a paid order was cancelled, then it is cancelled, keeping its lines, total and history', () => {
    const view = given(placed, paid, cancelled('PAID'));
    expect(view).toMatchObject({ status: 'CANCELLED', totalCents: 5900, paymentReference: 'pay-42', version: 3 });
    expect(view.lines).toHaveLength(2);
    expect(view.timeline.map((s) => s.status)).toEqual(['PLACED', 'PAID', 'CANCELLED']);
  });

  it('routes every order event to its order', () => {
    expect(orderDetailsProjection.viewIds(envelope('order-o1', 2, paid))).toEqual(['o1']);
  });
});
