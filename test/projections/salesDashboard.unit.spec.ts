import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/core/eventStore.ts';
import { documentIdsOf, shardOf, viewDocumentIds, viewFromDocuments } from '../../src/core/projection.ts';
import type { OrderEvent, OrderLine } from '../../src/orders/orderEvents.ts';
import {
  SALES_SHARDS,
  SALES_SUMMARY_ID,
  salesDashboardProjection,
  salesDayId,
  topSellers,
  type SalesFigures,
} from '../../src/projections/salesDashboard.ts';
import { envelope, project } from '../support/envelopes.ts';

const DAY1 = '2026-11-29T23:30:00.000Z';
const DAY2 = '2026-11-30T00:15:00.000Z';
const kettle = (quantity: number): OrderLine => ({ productId: 'kettle', productName: 'Kettle', quantity, unitPriceCents: 2500 });
const mug = (quantity: number): OrderLine => ({ productId: 'mug', productName: 'Mug', quantity, unitPriceCents: 900 });

/** One order's stream, built event by event. */
function order(orderId: string, placedAt: string, lines: OrderLine[]) {
  const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  const base = { orderId, customerId: 'c1', placedAt };
  const events: Array<EventEnvelope<OrderEvent>> = [];
  const add = (event: OrderEvent, at: string) => events.push(envelope(`order-${orderId}`, events.length + 1, event, at));
  add({ type: 'OrderPlaced', data: { ...base, lines, totalCents, reservedIn: [] } }, placedAt);
  const stream = {
    events,
    paid(at = placedAt) {
      add({ type: 'OrderPaymentConfirmed', data: { ...base, paymentReference: 'p', amountCents: totalCents, paidAt: at } }, at);
      return stream;
    },
    shipped(at = placedAt) {
      add({ type: 'OrderShipped', data: { ...base, lines, shippedAt: at } }, at);
      return stream;
    },
    cancelled(previousStatus: 'PLACED' | 'PAID', at = placedAt) {
      add({ type: 'OrderCancelled', data: { ...base, lines, totalCents, previousStatus, reason: 'r', cancelledAt: at } }, at);
      return stream;
    },
  };
  return stream;
}

const given = (...streams: Array<{ events: Array<EventEnvelope<OrderEvent>> }>): Record<string, SalesFigures> =>
  project(
    salesDashboardProjection,
    streams.flatMap((s) => s.events),
  );

describe('SalesDashboard projection', () => {
  it('given orders placed on two UTC days, then the summary has all of them and each day its own', () => {
    const views = given(order('o1', DAY1, [kettle(2), mug(1)]), order('o2', DAY2, [mug(3)]));
    expect(views[SALES_SUMMARY_ID]).toMatchObject({
      orders: 2,
      revenueCents: 5900 + 2700,
      units: 6,
      ordersByStatus: { PLACED: 2, PAID: 0, SHIPPED: 0, CANCELLED: 0 },
      perProduct: {
        kettle: { productId: 'kettle', productName: 'Kettle', units: 2, revenueCents: 5000 },
        mug: { productId: 'mug', productName: 'Mug', units: 4, revenueCents: 3600 },
      },
      updatedAt: DAY2,
    });
    expect(views[salesDayId('2026-11-29')]).toMatchObject({ orders: 1, revenueCents: 5900, units: 3 });
    expect(views[salesDayId('2026-11-30')]).toMatchObject({
      orders: 1,
      revenueCents: 2700,
      units: 3,
      perProduct: { mug: { units: 3, revenueCents: 2700 } },
    });
  });

  it('moves status counts with each transition, in the summary and on the day the order was placed', () => {
    const views = given(
      order('o1', DAY1, [kettle(1)])
        .paid(DAY2)
        .shipped(DAY2),
      order('o2', DAY1, [kettle(1)]).paid(DAY2),
      order('o3', DAY1, [kettle(1)]),
    );
    const byStatus = { PLACED: 1, PAID: 1, SHIPPED: 1, CANCELLED: 0 };
    expect(views[SALES_SUMMARY_ID]!.ordersByStatus).toEqual(byStatus);
    expect(views[salesDayId('2026-11-29')]!.ordersByStatus).toEqual(byStatus);
    // Payment and shipping happened on day 2, but the orders belong to the day they were placed.
    expect(views[salesDayId('2026-11-30')]).toBeUndefined();
    expect(views[SALES_SUMMARY_ID]).toMatchObject({ orders: 3, revenueCents: 7500, units: 3 });
  });

  it('given a paid order was cancelled the next day, then its revenue, units and product sales are reversed on its placement day', () => {
    const views = given(
      order('o1', DAY1, [kettle(2), mug(1)])
        .paid()
        .cancelled('PAID', DAY2),
      order('o2', DAY1, [mug(1)]),
    );
    const expected = {
      orders: 1,
      revenueCents: 900,
      units: 1,
      ordersByStatus: { PLACED: 1, PAID: 0, SHIPPED: 0, CANCELLED: 1 },
      perProduct: { mug: { productId: 'mug', productName: 'Mug', units: 1, revenueCents: 900 } },
    };
    expect(views[SALES_SUMMARY_ID]).toMatchObject(expected);
    expect(views[SALES_SUMMARY_ID]!.perProduct).not.toHaveProperty('kettle');
    expect(views[salesDayId('2026-11-29')]).toMatchObject(expected);
  });

  it('given a placed order was cancelled, then it leaves PLACED for CANCELLED', () => {
    const views = given(order('o1', DAY1, [mug(1)]).cancelled('PLACED'));
    expect(views[SALES_SUMMARY_ID]).toMatchObject({
      orders: 0,
      revenueCents: 0,
      units: 0,
      ordersByStatus: { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 1 },
      perProduct: {},
    });
  });

  it('ranks top sellers by revenue, then units, then product id', () => {
    const views = given(
      order('o1', DAY1, [kettle(1), mug(3)]), // kettle 2500, mug 2700
      order('o2', DAY1, [{ productId: 'tea', productName: 'Tea', quantity: 5, unitPriceCents: 540 }]), // tea 2700
      order('o3', DAY1, [{ productId: 'cup', productName: 'Cup', quantity: 3, unitPriceCents: 900 }]), // cup 2700, 3 units
    );
    expect(topSellers(views[SALES_SUMMARY_ID]!, 3).map((p) => p.productId)).toEqual(['tea', 'cup', 'mug']);
  });

  it('ends with the same figures whatever order the streams arrive in', () => {
    const streams = [
      order('o1', DAY1, [kettle(2)])
        .paid()
        .cancelled('PAID'),
      order('o2', DAY1, [mug(1), kettle(1)])
        .paid()
        .shipped(),
      order('o3', DAY2, [mug(2)]),
    ];
    const forward = given(...streams);
    const interleaved = project(salesDashboardProjection, [
      streams[2]!.events[0]!,
      streams[1]!.events[0]!,
      streams[0]!.events[0]!,
      streams[1]!.events[1]!,
      streams[0]!.events[1]!,
      streams[0]!.events[2]!,
      streams[1]!.events[2]!,
    ]);
    expect(interleaved).toEqual(forward);
  });

  it('routes every order event to the summary and to the day the order was placed', () => {
    const [placed, paid] = order('o1', DAY1, [mug(1)]).paid(DAY2).events;
    expect(salesDashboardProjection.viewIds(placed!)).toEqual(['summary', 'day-2026-11-29']);
    expect(salesDashboardProjection.viewIds(paid!)).toEqual(['summary', 'day-2026-11-29']);
  });

  describe('as sharded counters', () => {
    const streams = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0
        ? order(`o${i}`, DAY1, [kettle(1 + (i % 4))]).paid()
        : i % 3 === 1
          ? order(`o${i}`, DAY2, [mug(2), kettle(1)])
              .paid()
              .cancelled('PAID')
          : order(`o${i}`, DAY1, [mug(1)])
              .paid()
              .shipped(),
    );
    const events = streams.flatMap((s) => s.events);

    /** What the projector stores: each event folded into its stream's shard of each view. */
    function shardDocuments(): Record<string, SalesFigures> {
      const documents: Record<string, SalesFigures> = {};
      for (const event of events) {
        for (const id of documentIdsOf(salesDashboardProjection, event)) {
          documents[id] = salesDashboardProjection.evolve(documents[id] ?? null, event);
        }
      }
      return documents;
    }

    it('write each stream to one shard of each view, the same one for every event of the stream', () => {
      const [placed, paid] = order('o1', DAY1, [mug(1)]).paid(DAY2).events;
      const shard = String(shardOf('order-o1', SALES_SHARDS)).padStart(2, '0');
      expect(documentIdsOf(salesDashboardProjection, placed!)).toEqual([`summary~${shard}`, `day-2026-11-29~${shard}`]);
      expect(documentIdsOf(salesDashboardProjection, paid!)).toEqual(documentIdsOf(salesDashboardProjection, placed!));
      const used = new Set(streams.map((s) => shardOf(s.events[0]!.streamId, SALES_SHARDS)));
      expect(used.size).toBeGreaterThan(SALES_SHARDS / 2);
    });

    it('merge on read into the figures one document would have', () => {
      const unsharded = given(...streams);
      const documents = shardDocuments();
      for (const viewId of [SALES_SUMMARY_ID, salesDayId('2026-11-29'), salesDayId('2026-11-30')]) {
        const parts = viewDocumentIds(salesDashboardProjection, viewId).map((id) => documents[id] ?? null);
        expect(viewFromDocuments(salesDashboardProjection, parts)).toEqual(unsharded[viewId]);
      }
      expect(
        viewFromDocuments(
          salesDashboardProjection,
          viewDocumentIds(salesDashboardProjection, 'day-2001-01-01').map(() => null),
        ),
      ).toBeNull();
    });
  });
});
