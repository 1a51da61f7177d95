/** The CustomerOrderHistory read model, as a query and a live subscription. */
import {
  customerOrderHistoryProjection,
  emptyCustomerOrderHistory,
  ordersNewestFirst,
  type CustomerOrderHistory,
  type CustomerOrderSummary,
} from '../../projections/customerOrderHistory.ts';
import { builder } from '../builder.ts';
import { OrderStatusEnum } from './orderMutations.ts';

const CustomerOrderSummaryRef = builder.objectRef<CustomerOrderSummary>('CustomerOrderSummary').implement({
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    status: t.field({ type: OrderStatusEnum, resolve: (o) => o.status }),
    totalCents: t.exposeInt('totalCents'),
    itemCount: t.exposeInt('itemCount'),
    placedAt: t.field({ type: 'DateTime', resolve: (o) => o.placedAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (o) => o.updatedAt }),
    version: t.exposeInt('version', { description: 'The order stream version this summary reflects.' }),
  }),
});

const CustomerOrderHistoryRef = builder.objectRef<CustomerOrderHistory>('CustomerOrderHistory').implement({
  description: "A customer's orders, newest first, with totals. Eventually consistent with the order streams.",
  fields: (t) => ({
    customerId: t.exposeID('customerId'),
    name: t.exposeString('name', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    orderCount: t.exposeInt('orderCount'),
    totalSpentCents: t.exposeInt('totalSpentCents', { description: 'Placed orders that were not cancelled.' }),
    orders: t.field({ type: [CustomerOrderSummaryRef], resolve: (view) => ordersNewestFirst(view) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (view) => view.updatedAt }),
  }),
});

const EPOCH = new Date(0).toISOString();

builder.queryField('customerOrders', (t) =>
  t.field({
    type: CustomerOrderHistoryRef,
    args: { customerId: t.arg.id({ required: true }) },
    resolve: async (_root, { customerId }, { deps }) =>
      (await deps.readModels.get(customerOrderHistoryProjection, String(customerId))) ??
      emptyCustomerOrderHistory(String(customerId), EPOCH),
  }),
);

builder.subscriptionField('customerOrders', (t) =>
  t.field({
    type: CustomerOrderHistoryRef,
    description: "The customer's order history now, then again every time it changes.",
    args: { customerId: t.arg.id({ required: true }) },
    subscribe: (_root, { customerId }, { deps }) => deps.readModels.watch(customerOrderHistoryProjection, String(customerId)),
    resolve: (view, { customerId }) => view ?? emptyCustomerOrderHistory(String(customerId), EPOCH),
  }),
);
