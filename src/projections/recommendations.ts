/**
 * Recommendations, "bought together": per product, the product mix of the orders that contain it.
 * A placed order adds one to the count of every distinct product in it, in the view of each of
 * them; a cancelled order takes that back. The product's own count is how many orders contain it;
 * every other count is how many of those also contained that product.
 *
 * Keeping the product itself in its counts is what lets `evolve` be one function of (view, event):
 * it is not told which product's view it is computing, and does not need to be.
 *
 * Orders of different streams reach the projector in any order. Counts only change by adding and
 * subtracting, and the ranking is computed from the counts, so the view ends the same whatever the
 * order; within one order, the projector applies placement before cancellation.
 *
 * Every order of a product writes that product's view, so a best seller's would take more than the
 * about 1 write/s one document sustains in production: each view is RECOMMENDATION_SHARDS sharded counters
 * (an order's events always to its stream's shard), merged on read.
 */
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { Projection } from '../core/projection.ts';
import type { OrderCancelled, OrderLine, OrderPlaced } from '../orders/orderEvents.ts';

export interface Recommendations {
  /** Placed, not cancelled, orders per product: this view's own product included. */
  readonly counts: Readonly<Record<string, number>>;
  /** The latest event time applied (the maximum, so that it does not depend on arrival order). */
  readonly updatedAt: string;
}

export interface BoughtTogether {
  readonly productId: string;
  /** Orders, placed and not cancelled, that held both products. */
  readonly count: number;
}

type Event = OrderPlaced | OrderCancelled;

/** Shards per product: as many as the sales dashboard's, so a best seller sustains as many orders/s there as here. */
export const RECOMMENDATION_SHARDS = 16;

export const recommendationsProjection: Projection<Recommendations, Event> = {
  name: 'recommendations',
  // 2: the views became sharded counters (`<productId>~00` ... `~15`): a rebuild writes the new layout.
  version: 2,
  eventTypes: ['OrderPlaced', 'OrderCancelled'],
  viewIds: (event) => distinctProducts(event.data.lines),
  evolve: evolveRecommendations,
  sharded: { shards: RECOMMENDATION_SHARDS, merge: mergeRecommendations },
};

/** The counts of several sets of orders (the shards of a view) as one. */
export function mergeRecommendations(parts: readonly Recommendations[]): Recommendations {
  const counts: Record<string, number> = {};
  let updatedAt = parts[0]!.updatedAt;
  for (const part of parts) {
    for (const [productId, count] of Object.entries(part.counts)) counts[productId] = (counts[productId] ?? 0) + count;
    if (part.updatedAt > updatedAt) updatedAt = part.updatedAt;
  }
  for (const [productId, count] of Object.entries(counts)) if (count === 0) delete counts[productId];
  return { counts, updatedAt };
}

function evolveRecommendations(view: Recommendations | null, event: EventEnvelope<Event>): Recommendations {
  const current = view ?? { counts: {}, updatedAt: event.occurredAt };
  switch (event.type) {
    case 'OrderPlaced':
      return countOrder(current, event, +1);
    case 'OrderCancelled':
      return countOrder(current, event, -1);
    default:
      return assertNever(event);
  }
}

function countOrder(view: Recommendations, event: EventEnvelope<Event>, delta: 1 | -1): Recommendations {
  const counts: Record<string, number> = { ...view.counts };
  for (const productId of distinctProducts(event.data.lines)) {
    const count = (counts[productId] ?? 0) + delta;
    if (count === 0) delete counts[productId];
    else counts[productId] = count;
  }
  return { counts, updatedAt: event.occurredAt > view.updatedAt ? event.occurredAt : view.updatedAt };
}

/** The products most often bought with `productId`: highest count first, ties by product id. */
export function boughtTogether(view: Recommendations, productId: string, limit: number): BoughtTogether[] {
  return Object.entries(view.counts)
    .filter(([other, count]) => other !== productId && count > 0)
    .map(([other, count]) => ({ productId: other, count }))
    .sort((a, b) => b.count - a.count || compareIds(a.productId, b.productId))
    .slice(0, limit);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function distinctProducts(lines: readonly OrderLine[]): string[] {
  return [...new Set(lines.map((l) => l.productId))];
}
