/** OrderDetails: one order as its customer sees it: lines with totals, status and how it got there. */
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { Projection } from '../core/projection.ts';
import type { OrderEvent, OrderLine, OrderStatus } from '../orders/orderEvents.ts';

export interface OrderDetailsLine extends OrderLine {
  readonly lineTotalCents: number;
}

export interface OrderStatusChange {
  readonly status: OrderStatus;
  /** When the order reached the status, as the command decided it. */
  readonly at: string;
}

export interface OrderDetails {
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderDetailsLine[];
  readonly totalCents: number;
  readonly status: OrderStatus;
  /** Every status the order reached, oldest first, starting with PLACED. */
  readonly timeline: readonly OrderStatusChange[];
  readonly placedAt: string;
  /** Set once payment is confirmed. */
  readonly paymentReference: string | null;
  readonly updatedAt: string;
  /** The order stream's version this view reflects. */
  readonly version: number;
}

export const orderDetailsProjection: Projection<OrderDetails, OrderEvent> = {
  name: 'orderDetails',
  version: 1,
  eventTypes: ['OrderPlaced', 'OrderPaymentConfirmed', 'OrderShipped', 'OrderCancelled'],
  viewIds: (event) => [event.data.orderId],
  evolve: evolveOrderDetails,
};

function evolveOrderDetails(view: OrderDetails | null, event: EventEnvelope<OrderEvent>): OrderDetails {
  const { orderId, customerId, placedAt } = event.data;
  // Every order event carries the customer and placement time; a stream starts with OrderPlaced, and
  // the projector fills gaps, so the lines are there whenever a later event is applied.
  const current: OrderDetails = view ?? {
    orderId,
    customerId,
    lines: [],
    totalCents: 0,
    status: 'PLACED',
    timeline: [],
    placedAt,
    paymentReference: null,
    updatedAt: event.occurredAt,
    version: 0,
  };
  const reached = (status: OrderStatus, at: string, changes: Partial<OrderDetails> = {}): OrderDetails => ({
    ...current,
    ...changes,
    status,
    timeline: [...current.timeline, { status, at }],
    updatedAt: event.occurredAt,
    version: event.version,
  });
  switch (event.type) {
    case 'OrderPlaced':
      return reached('PLACED', placedAt, {
        lines: event.data.lines.map((line) => ({ ...line, lineTotalCents: line.quantity * line.unitPriceCents })),
        totalCents: event.data.totalCents,
        placedAt,
      });
    case 'OrderPaymentConfirmed':
      return reached('PAID', event.data.paidAt, { paymentReference: event.data.paymentReference });
    case 'OrderShipped':
      return reached('SHIPPED', event.data.shippedAt);
    case 'OrderCancelled':
      return reached('CANCELLED', event.data.cancelledAt);
    default:
      return assertNever(event);
  }
}
