/**
 * What a live dashboard watches besides sales and stock: the latest orders as they arrive, and how far
 * each projection trails the event store. Both are state-shaped subscriptions (every result is whole),
 * so a client that falls behind simply gets the latest one.
 */
import { z } from 'zod';
import type { ProjectionStatus } from '../../core/projectionStatus.ts';
import { projections } from '../../projections/all.ts';
import { customerOrderHistoryProjection } from '../../projections/customerOrderHistory.ts';
import { orderDetailsProjection, type OrderDetails } from '../../projections/orderDetails.ts';
import { builder } from '../builder.ts';
import { CustomerOrderHistoryRef } from './customers.ts';
import { operations } from './operations.ts';
import { OrderStatusEnum } from './orderMutations.ts';

/** How often an API instance reads the projections' status for its `projectionLag` subscribers. */
const LAG_POLL_MS = 2_000;

const OrderFeedItemRef = builder.objectRef<OrderDetails>('OrderFeedItem').implement({
  description: 'An order as a live feed shows it: who, how much, in what state. `order(orderId)` has the rest.',
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    customerId: t.exposeID('customerId'),
    customer: t.field({
      type: CustomerOrderHistoryRef,
      nullable: true,
      resolve: (order, _args, { loaders }) => loaders.load(customerOrderHistoryProjection, order.customerId),
    }),
    status: t.field({ type: OrderStatusEnum, resolve: (order) => order.status }),
    itemCount: t.int({ resolve: (order) => order.lines.reduce((units, line) => units + line.quantity, 0) }),
    totalCents: t.exposeInt('totalCents'),
    placedAt: t.field({ type: 'DateTime', resolve: (order) => order.placedAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (order) => order.updatedAt }),
  }),
});

builder.subscriptionField('recentOrders', (t) =>
  t.field({
    authScopes: { operator: true },
    type: [OrderFeedItemRef],
    description:
      'The latest orders, newest first: now, then again whenever one is placed or changes status. ' +
      'All subscribers of an API instance with the same `limit` share its Firestore listeners (one per partition of the orders, merged in order).',
    args: { limit: t.arg.int({ required: false, defaultValue: 10, validate: z.number().int().min(1).max(50) }) },
    subscribe: (_root, { limit }, { deps }) =>
      deps.readModels.watchResults(orderDetailsProjection, { orderBy: { field: 'placedAt', direction: 'desc' }, limit: limit ?? 10 }),
    resolve: (orders, _args, { loaders }) => {
      loaders.clearAll();
      return orders.map(({ view }) => view);
    },
  }),
);

const ProjectionLagRef = builder.objectRef<ProjectionStatus>('ProjectionLag').implement({
  description: 'How far a projection trails the event store, and what is stuck in its dead letters.',
  fields: (t) => ({
    projection: t.exposeString('name'),
    lagSeconds: t.exposeFloat('lagSeconds', {
      description: 'How far the newest event it applied trails the newest event stored (0 when caught up).',
    }),
    lastAppliedEventAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastAppliedEventAt }),
    latestEventAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.latestEventAt }),
    pendingDeadLetters: t.exposeInt('pendingDeadLetters'),
    rebuilding: t.boolean({ resolve: (s) => s.rebuilding !== null }),
  }),
});

builder.subscriptionField('projectionLag', (t) =>
  t.field({
    authScopes: { operator: true },
    type: [ProjectionLagRef],
    description:
      'Every projection with its lag and pending dead letters: now, then whenever they change. ' +
      `Read every ${LAG_POLL_MS / 1000} s by each API instance, once for all its subscribers.`,
    subscribe: (_root, _args, context) => operations(context).status.watchProjectionStatus(projections, LAG_POLL_MS),
    resolve: (statuses) => [...statuses],
  }),
);
