/** CustomerOrderHistory: per customer, the orders they placed with status and totals. */
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { Projection } from '../core/projection.ts';
import type { OrderEvent } from '../orders/orderEvents.ts';

export interface CustomerOrderSummary {
  readonly orderId: string;
  readonly status: 'PLACED';
  readonly totalCents: number;
  readonly itemCount: number;
  readonly placedAt: string;
  /** The order stream's version this summary reflects. */
  readonly version: number;
}

export interface CustomerOrderHistory {
  readonly customerId: string;
  readonly orders: Readonly<Record<string, CustomerOrderSummary>>;
  readonly orderCount: number;
  readonly totalSpentCents: number;
  readonly updatedAt: string;
}

export const customerOrderHistoryProjection: Projection<CustomerOrderHistory, OrderEvent> = {
  name: 'customerOrderHistory',
  version: 1,
  eventTypes: ['OrderPlaced'],
  viewIds: (event) => [event.data.customerId],
  evolve: evolveCustomerOrderHistory,
};

export function evolveCustomerOrderHistory(
  view: CustomerOrderHistory | null,
  event: EventEnvelope<OrderEvent>,
): CustomerOrderHistory {
  const current = view ?? {
    customerId: event.data.customerId,
    orders: {},
    orderCount: 0,
    totalSpentCents: 0,
    updatedAt: event.occurredAt,
  };
  switch (event.type) {
    case 'OrderPlaced': {
      const { orderId, totalCents, lines, placedAt } = event.data;
      const summary: CustomerOrderSummary = {
        orderId,
        status: 'PLACED',
        totalCents,
        itemCount: lines.reduce((n, line) => n + line.quantity, 0),
        placedAt,
        version: event.version,
      };
      return {
        ...current,
        orders: { ...current.orders, [orderId]: summary },
        orderCount: current.orderCount + 1,
        totalSpentCents: current.totalSpentCents + totalCents,
        updatedAt: event.occurredAt,
      };
    }
    default:
      return assertNever(event.type);
  }
}

/** Newest first: the order a customer reads their history in. */
export function ordersNewestFirst(view: CustomerOrderHistory): CustomerOrderSummary[] {
  return Object.values(view.orders).sort((a, b) => (a.placedAt < b.placedAt ? 1 : a.placedAt > b.placedAt ? -1 : 0));
}
