/** Orders as read: the OrderDetails view, as a query and a live subscription to its status. */
import { customerOrderHistoryProjection } from '../../projections/customerOrderHistory.ts';
import { inventoryCountProjection } from '../../projections/inventoryCount.ts';
import {
  orderDetailsProjection,
  type OrderDetails,
  type OrderDetailsLine,
  type OrderStatusChange,
} from '../../projections/orderDetails.ts';
import { orderStreamId } from '../../orders/orderEvents.ts';
import { builder } from '../builder.ts';
import { awaitConsistency, ConsistencyTokenInput, readOptionArgs, readView } from './readOptions.ts';
import { ProductRef } from './catalog.ts';
import { CustomerOrderHistoryRef } from './customers.ts';
import { OrderStatusEnum } from './orderMutations.ts';

const OrderLineRef = builder.objectRef<OrderDetailsLine>('OrderLine').implement({
  description: 'A line as placed: name and unit price are those the customer saw then.',
  fields: (t) => ({
    productId: t.exposeID('productId'),
    productName: t.exposeString('productName'),
    quantity: t.exposeInt('quantity'),
    unitPriceCents: t.exposeInt('unitPriceCents'),
    lineTotalCents: t.exposeInt('lineTotalCents'),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product as it is now; null if it is not in the catalog view.',
      resolve: (line, _args, { loaders }) => loaders.load(inventoryCountProjection, line.productId),
    }),
  }),
});

const OrderStatusChangeRef = builder.objectRef<OrderStatusChange>('OrderStatusChange').implement({
  fields: (t) => ({
    status: t.field({ type: OrderStatusEnum, resolve: (s) => s.status }),
    at: t.field({ type: 'DateTime', resolve: (s) => s.at }),
  }),
});

const OrderRef = builder.objectRef<OrderDetails>('Order').implement({
  description: 'An order with its lines and status history. Eventually consistent with the order stream.',
  authScopes: (order) => ({ customer: order.customerId, fulfilment: true, operator: true }),
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    customerId: t.exposeID('customerId'),
    customer: t.field({
      type: CustomerOrderHistoryRef,
      nullable: true,
      resolve: (order, _args, { loaders }) => loaders.load(customerOrderHistoryProjection, order.customerId),
    }),
    lines: t.field({ type: [OrderLineRef], resolve: (order) => [...order.lines] }),
    totalCents: t.exposeInt('totalCents'),
    status: t.field({ type: OrderStatusEnum, resolve: (order) => order.status }),
    timeline: t.field({
      type: [OrderStatusChangeRef],
      description: 'Every status the order reached, oldest first.',
      resolve: (order) => [...order.timeline],
    }),
    placedAt: t.field({ type: 'DateTime', resolve: (order) => order.placedAt }),
    paymentReference: t.exposeString('paymentReference', { nullable: true }),
    updatedAt: t.field({ type: 'DateTime', resolve: (order) => order.updatedAt }),
    version: t.exposeInt('version', { description: 'The order stream version this view reflects.' }),
  }),
});

builder.queryField('order', (t) =>
  t.field({
    authScopes: (_root, { orderId }) => ({ fulfilment: true, operator: true, orderOwner: String(orderId) }),
    type: OrderRef,
    nullable: true,
    description: 'Null until the order has been projected (or, with asOf, if it did not exist then).',
    args: { orderId: t.arg.id({ required: true }), ...readOptionArgs(t) },
    resolve: (_root, { orderId, ...options }, context) =>
      readView(context, orderDetailsProjection, String(orderId), options, (asOf) =>
        context.deps.temporal!.streamAsOf(orderStreamId(String(orderId)), asOf),
      ),
  }),
);

builder.subscriptionField('orderStatus', (t) =>
  t.field({
    authScopes: (_root, { orderId }) => ({ fulfilment: true, operator: true, orderOwner: String(orderId) }),
    type: OrderRef,
    nullable: true,
    description: 'The order now (null until projected), then again at every change of its status.',
    args: {
      orderId: t.arg.id({ required: true }),
      consistentWith: t.arg({
        type: ConsistencyTokenInput,
        required: false,
        description: 'Start only once the view reflects this write (READ_MODEL.STALE if not within waitMs).',
      }),
      waitMs: t.arg.int({ required: false }),
    },
    subscribe: async (_root, { orderId, consistentWith, waitMs }, context) => {
      if (consistentWith) await awaitConsistency(context, orderDetailsProjection, consistentWith, waitMs);
      return context.deps.readModels.watch(orderDetailsProjection, String(orderId));
    },
    resolve: (order, _args, { loaders }) => {
      loaders.clearAll();
      return order;
    },
  }),
);
