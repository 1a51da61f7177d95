/** CustomerOrderHistory: per customer, who they are and the orders they placed, with status and totals. */
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import { ERASED } from '../core/personalData.ts';
import type { Projection } from '../core/projection.ts';
import type { CustomerEvent } from '../customers/customerEvents.ts';
import type { OrderEvent, OrderStatus } from '../orders/orderEvents.ts';

export interface CustomerOrderSummary {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly totalCents: number;
  readonly itemCount: number;
  readonly placedAt: string;
  readonly updatedAt: string;
  /** The order stream's version this summary reflects. */
  readonly version: number;
}

export interface CustomerOrderHistory {
  readonly customerId: string;
  /** Null until the customer's registration has been projected. */
  readonly name: string | null;
  readonly email: string | null;
  readonly orders: Readonly<Record<string, CustomerOrderSummary>>;
  readonly orderCount: number;
  /** Placed orders not cancelled. */
  readonly totalSpentCents: number;
  readonly updatedAt: string;
}

type Event = OrderEvent | CustomerEvent;

export const customerOrderHistoryProjection: Projection<CustomerOrderHistory, Event> = {
  name: 'customerOrderHistory',
  version: 1,
  eventTypes: [
    'CustomerRegistered',
    'CustomerDetailsChanged',
    'CustomerForgotten',
    'OrderPlaced',
    'OrderPaymentConfirmed',
    'OrderShipped',
    'OrderCancelled',
  ],
  viewIds: (event) => [event.data.customerId],
  evolve: evolveCustomerOrderHistory,
};

export function emptyCustomerOrderHistory(customerId: string, at: string): CustomerOrderHistory {
  return { customerId, name: null, email: null, orders: {}, orderCount: 0, totalSpentCents: 0, updatedAt: at };
}

function evolveCustomerOrderHistory(view: CustomerOrderHistory | null, event: EventEnvelope<Event>): CustomerOrderHistory {
  const current = view ?? emptyCustomerOrderHistory(event.data.customerId, event.occurredAt);
  const at = event.occurredAt;
  // Events of different streams (the customer's, each order's) may arrive in any order: the view's
  // time is the latest event time, so the view does not depend on arrival order (replay compares it).
  const latest = current.updatedAt > at ? current.updatedAt : at;
  const withStatus = (orderId: string, status: OrderStatus): CustomerOrderHistory => {
    const order = current.orders[orderId];
    if (!order) return current;
    return {
      ...current,
      orders: { ...current.orders, [orderId]: { ...order, status, updatedAt: at, version: event.version } },
      updatedAt: latest,
    };
  };
  switch (event.type) {
    case 'CustomerRegistered':
    case 'CustomerDetailsChanged':
      return { ...current, name: event.data.name, email: event.data.email, updatedAt: latest };
    case 'CustomerForgotten':
      // The key is destroyed too, so replaying the earlier events gives the same `[erased]`.
      return { ...current, name: ERASED, email: ERASED, updatedAt: latest };
    case 'OrderPlaced': {
      const { orderId, totalCents, lines, placedAt } = event.data;
      const summary: CustomerOrderSummary = {
        orderId,
        status: 'PLACED',
        totalCents,
        itemCount: lines.reduce((n, line) => n + line.quantity, 0),
        placedAt,
        updatedAt: at,
        version: event.version,
      };
      return {
        ...current,
        orders: { ...current.orders, [orderId]: summary },
        orderCount: current.orderCount + 1,
        totalSpentCents: current.totalSpentCents + totalCents,
        updatedAt: latest,
      };
    }
    case 'OrderPaymentConfirmed':
      return withStatus(event.data.orderId, 'PAID');
    case 'OrderShipped':
      return withStatus(event.data.orderId, 'SHIPPED');
    case 'OrderCancelled': {
      const next = withStatus(event.data.orderId, 'CANCELLED');
      return { ...next, totalSpentCents: next.totalSpentCents - event.data.totalCents };
    }
    default:
      return assertNever(event);
  }
}

/** Newest first: the order a customer reads their history in. */
export function ordersNewestFirst(view: CustomerOrderHistory): CustomerOrderSummary[] {
  return Object.values(view.orders).sort((a, b) =>
    a.placedAt < b.placedAt ? 1 : a.placedAt > b.placedAt ? -1 : a.orderId < b.orderId ? 1 : -1,
  );
}
