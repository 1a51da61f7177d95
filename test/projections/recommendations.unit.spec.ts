import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/core/eventStore.ts';
import type { OrderCancelled, OrderLine, OrderPlaced } from '../../src/orders/orderEvents.ts';
import { boughtTogether, recommendationsProjection, type Recommendations } from '../../src/projections/recommendations.ts';
import { envelope, project, projectSharded } from '../support/envelopes.ts';

const line = (productId: string, quantity = 1): OrderLine => ({ productId, productName: productId, quantity, unitPriceCents: 100 });
const placedAt = '2026-11-29T15:00:00.000Z';

function placed(orderId: string, productIds: string[]): EventEnvelope<OrderPlaced> {
  const lines = productIds.map((id) => line(id));
  return envelope(`order-${orderId}`, 1, {
    type: 'OrderPlaced',
    data: { orderId, customerId: 'c1', lines, totalCents: lines.length * 100, placedAt, reservedIn: [] },
  });
}

function cancelled(orderId: string, productIds: string[]): EventEnvelope<OrderCancelled> {
  const lines = productIds.map((id) => line(id));
  return envelope(
    `order-${orderId}`,
    2,
    {
      type: 'OrderCancelled',
      data: {
        orderId,
        customerId: 'c1',
        lines,
        totalCents: lines.length * 100,
        placedAt,
        previousStatus: 'PLACED',
        reason: 'r',
        cancelledAt: '2026-11-29T16:00:00.000Z',
      },
    },
    '2026-11-29T16:00:00.000Z',
  );
}

type Event = EventEnvelope<OrderPlaced | OrderCancelled>;
const given = (...events: Event[]): Record<string, Recommendations> => project(recommendationsProjection, events);

describe('Recommendations projection (bought together)', () => {
  it('given one order of three products, then each product recommends the other two', () => {
    const views = given(placed('o1', ['kettle', 'mug', 'tea']));
    expect(Object.keys(views).sort()).toEqual(['kettle', 'mug', 'tea']);
    expect(boughtTogether(views.kettle!, 'kettle', 5)).toEqual([
      { productId: 'mug', count: 1 },
      { productId: 'tea', count: 1 },
    ]);
    expect(boughtTogether(views.tea!, 'tea', 5)).toEqual([
      { productId: 'kettle', count: 1 },
      { productId: 'mug', count: 1 },
    ]);
    // The product's own count is how many orders contain it.
    expect(views.kettle!.counts).toEqual({ kettle: 1, mug: 1, tea: 1 });
  });

  it('ranks by count, highest first, then by product id, and keeps only the top N', () => {
    const views = given(
      placed('o1', ['kettle', 'tea', 'mug']),
      placed('o2', ['kettle', 'tea']),
      placed('o3', ['kettle', 'tea', 'filter']),
      placed('o4', ['kettle', 'cups', 'filter']),
      placed('o5', ['kettle', 'spoon']),
    );
    expect(boughtTogether(views.kettle!, 'kettle', 3)).toEqual([
      { productId: 'tea', count: 3 },
      { productId: 'filter', count: 2 },
      { productId: 'cups', count: 1 },
    ]);
    expect(views.kettle!.counts.kettle).toBe(5);
  });

  it('given an order was cancelled, then its pairs are taken back and products left with no pair disappear', () => {
    const views = given(placed('o1', ['kettle', 'mug']), placed('o2', ['kettle', 'tea']), cancelled('o1', ['kettle', 'mug']));
    expect(boughtTogether(views.kettle!, 'kettle', 5)).toEqual([{ productId: 'tea', count: 1 }]);
    expect(views.kettle!.counts).toEqual({ kettle: 1, tea: 1 });
    expect(views.mug!.counts).toEqual({});
    expect(boughtTogether(views.mug!, 'mug', 5)).toEqual([]);
  });

  it('counts a product once per order, however many lines name it', () => {
    const views = given(placed('o1', ['kettle', 'mug', 'mug']));
    expect(views.kettle!.counts).toEqual({ kettle: 1, mug: 1 });
    expect(recommendationsProjection.viewIds(placed('o1', ['kettle', 'mug', 'mug']))).toEqual(['kettle', 'mug']);
  });

  it('recommends nothing for an order of one product', () => {
    const views = given(placed('o1', ['kettle']));
    expect(boughtTogether(views.kettle!, 'kettle', 5)).toEqual([]);
  });

  it('ends with the same views whatever order the streams arrive in', () => {
    const streams: Event[][] = [
      [placed('o1', ['kettle', 'mug']), cancelled('o1', ['kettle', 'mug'])],
      [placed('o2', ['kettle', 'tea', 'mug'])],
      [placed('o3', ['tea', 'mug']), cancelled('o3', ['tea', 'mug'])],
      [placed('o4', ['mug', 'kettle'])],
    ];
    const inStreamOrder = given(...streams.flat());
    // Interleave the streams differently, each stream still in its own order (as the projector guarantees).
    const interleavings = [
      [streams[3]!, streams[2]!, streams[1]!, streams[0]!],
      [streams[2]!, streams[0]!, streams[3]!, streams[1]!],
    ].map((order) => roundRobin(order));
    for (const events of interleavings) {
      const views = given(...events);
      for (const id of ['kettle', 'mug', 'tea']) {
        expect(views[id]!.counts).toEqual(inStreamOrder[id]!.counts);
        expect(boughtTogether(views[id]!, id, 5)).toEqual(boughtTogether(inStreamOrder[id]!, id, 5));
      }
    }
  });
});

function roundRobin(streams: Event[][]): Event[] {
  const out: Event[] = [];
  const queues = streams.map((s) => [...s]);
  while (queues.some((q) => q.length > 0)) for (const q of queues) if (q.length > 0) out.push(q.shift()!);
  return out;
}

describe('Recommendations as sharded counters', () => {
  it('merge on read into the counts one document per product had', () => {
    const events: Event[] = [];
    for (let i = 0; i < 30; i++) {
      const products = ['kettle', ...(i % 2 ? ['mug'] : []), ...(i % 3 ? ['tea'] : [])];
      events.push(placed(`o${i}`, products));
      if (i % 4 === 0) events.push(cancelled(`o${i}`, products));
    }
    const sharded = projectSharded(recommendationsProjection, events);
    expect(sharded.views).toEqual(given(...events));
    // The orders of one product spread over its shards: no document takes every order.
    expect(Object.keys(sharded.documents).filter((id) => id.startsWith('kettle~')).length).toBeGreaterThan(8);
  });
});
