/** Customers as read: the CustomerOrderHistory view, as queries, a page of customers, and a live subscription. */
import {
  customerOrderHistoryProjection,
  emptyCustomerOrderHistory,
  ordersNewestFirst,
  type CustomerOrderHistory,
  type CustomerOrderSummary,
} from '../../projections/customerOrderHistory.ts';
import { builder } from '../builder.ts';
import { readOptionArgs, readView } from './readOptions.ts';
import { forwardPageArgs, listConnection, viewConnection } from '../viewConnections.ts';
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

export const CustomerOrderHistoryRef = builder.objectRef<CustomerOrderHistory>('CustomerOrderHistory').implement({
  description: 'A customer and their orders, newest first, with totals. Eventually consistent with the streams.',
  // Personal data, wherever it is reached from: the customer themselves, or staff who serve them.
  authScopes: (view) => ({ customer: view.customerId, fulfilment: true, operator: true }),
  fields: (t) => ({
    customerId: t.exposeID('customerId'),
    name: t.exposeString('name', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    orderCount: t.exposeInt('orderCount'),
    totalSpentCents: t.exposeInt('totalSpentCents', { description: 'Placed orders that were not cancelled.' }),
    orders: t.connection(
      {
        type: CustomerOrderSummaryRef,
        description: 'Newest first.',
        resolve: (view, args) => listConnection(ordersNewestFirst(view), (o) => o.orderId, args),
      },
      { name: 'CustomerOrderConnection' },
      { name: 'CustomerOrderEdge' },
    ),
    updatedAt: t.field({ type: 'DateTime', resolve: (view) => view.updatedAt }),
  }),
});

const EPOCH = new Date(0).toISOString();

builder.queryField('customerOrders', (t) =>
  t.field({
    authScopes: (_root, { customerId }) => ({ customer: String(customerId), fulfilment: true, operator: true }),
    type: CustomerOrderHistoryRef,
    description: "The customer's order history; empty (not null) for a customer not seen yet.",
    args: { customerId: t.arg.id({ required: true }) },
    resolve: async (_root, { customerId }, { loaders }) =>
      (await loaders.load(customerOrderHistoryProjection, String(customerId))) ?? emptyCustomerOrderHistory(String(customerId), EPOCH),
  }),
);

builder.queryField('customer', (t) =>
  t.field({
    authScopes: (_root, { customerId }) => ({ customer: String(customerId), fulfilment: true, operator: true }),
    type: CustomerOrderHistoryRef,
    nullable: true,
    description: 'Null until the customer has been projected.',
    args: { customerId: t.arg.id({ required: true }), ...readOptionArgs(t) },
    resolve: (_root, { customerId, ...options }, context) =>
      readView(context, customerOrderHistoryProjection, String(customerId), options, (asOf) =>
        context.deps.temporal!.eventsAboutAsOf({ field: 'customerId', id: String(customerId) }, asOf),
      ),
  }),
);

const CustomerConnectionRef = builder.connectionObject(
  { type: CustomerOrderHistoryRef, name: 'CustomerConnection' },
  { name: 'CustomerEdge' },
);

builder.queryField('customers', (t) =>
  t.field({
    authScopes: { fulfilment: true, operator: true },
    type: CustomerConnectionRef,
    description: 'Customers in customer id order, a page at a time (forward).',
    args: forwardPageArgs(t),
    resolve: (_root, args, context) => viewConnection(context, customerOrderHistoryProjection, args),
  }),
);

builder.subscriptionField('customerOrders', (t) =>
  t.field({
    authScopes: (_root, { customerId }) => ({ customer: String(customerId), fulfilment: true, operator: true }),
    type: CustomerOrderHistoryRef,
    description: "The customer's order history now, then again every time it changes.",
    args: { customerId: t.arg.id({ required: true }) },
    subscribe: (_root, { customerId }, { deps }) => deps.readModels.watch(customerOrderHistoryProjection, String(customerId)),
    resolve: (view, { customerId }, { loaders }) => {
      loaders.clearAll();
      return view ?? emptyCustomerOrderHistory(String(customerId), EPOCH);
    },
  }),
);
