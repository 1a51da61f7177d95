/** Orders: the placeOrder mutation and the CustomerOrderHistory read model, as a query and a live subscription. */
import { z } from 'zod';
import { handleCommand } from '../../core/commandHandler.ts';
import { orderDecider } from '../../orders/order.ts';
import { OrderAlreadyPlacedError, OrderHasNoLinesError } from '../../orders/orderErrors.ts';
import { orderStreamId } from '../../orders/orderEvents.ts';
import type { PlaceOrder } from '../../orders/placeOrder.ts';
import {
  customerOrderHistoryProjection,
  ordersNewestFirst,
  type CustomerOrderHistory,
  type CustomerOrderSummary,
} from '../../projections/customerOrderHistory.ts';
import { builder } from '../builder.ts';
import { commandErrors } from './errors.ts';

const Id = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const OrderLineInput = builder.inputType('OrderLineInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: Id }),
    quantity: t.int({ required: true, validate: z.number().int().min(1, 'must be at least 1').max(10_000) }),
    unitPriceCents: t.int({ required: true, validate: z.number().int().min(0, 'must not be negative') }),
  }),
});

const PlaceOrderInput = builder.inputType('PlaceOrderInput', {
  fields: (t) => ({
    customerId: t.id({ required: true, validate: Id }),
    lines: t.field({
      type: [OrderLineInput],
      required: true,
      validate: z.array(z.any()).min(1, 'an order needs at least one line').max(100, 'at most 100 lines'),
    }),
    idempotencyKey: t.string({
      required: false,
      description: 'Send the same key to retry safely: the order is placed once and the first result is returned.',
      validate: z.string().min(8, 'must be at least 8 characters').max(200).optional().nullable(),
    }),
  }),
});

interface PlaceOrderPayload {
  orderId: string;
  streamId: string;
  version: number;
  replayed: boolean;
}

const PlaceOrderPayloadRef = builder.objectRef<PlaceOrderPayload>('PlaceOrderPayload').implement({
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    streamId: t.exposeString('streamId', { description: 'The order stream; with `version`, a consistency token.' }),
    version: t.exposeInt('version', { description: 'The order stream version after this command.' }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when the idempotency key matched an earlier request and nothing new was written.',
    }),
  }),
});

builder.mutationType({});
builder.mutationField('placeOrder', (t) =>
  t.field({
    type: PlaceOrderPayloadRef,
    errors: { types: [...commandErrors, OrderAlreadyPlacedError, OrderHasNoLinesError] },
    args: { input: t.arg({ type: PlaceOrderInput, required: true }) },
    resolve: async (_root, { input }, { deps, correlationId, actor }) => {
      const orderId = deps.newId();
      const command: PlaceOrder = {
        type: 'PlaceOrder',
        orderId,
        customerId: input.customerId,
        lines: input.lines.map((l) => ({ productId: l.productId, quantity: l.quantity, unitPriceCents: l.unitPriceCents })),
        placedAt: deps.clock().toISOString(),
      };
      const { idempotencyKey, ...request } = input;
      const result = await handleCommand({
        store: deps.store,
        decider: orderDecider,
        streamId: orderStreamId(orderId),
        command,
        commandName: 'PlaceOrder',
        occurredAt: command.placedAt,
        metadata: { correlationId, causationId: null, actor },
        ...(idempotencyKey ? { idempotency: { key: idempotencyKey, request } } : {}),
        newEventId: deps.newId,
      });
      // A replayed result belongs to the first request's order, not the id generated for this one.
      return {
        orderId: result.streamId.replace(/^order-/, ''),
        streamId: result.streamId,
        version: result.version,
        replayed: result.replayed,
      };
    },
  }),
);

const OrderStatus = builder.enumType('OrderStatus', { values: ['PLACED'] as const });

const CustomerOrderSummaryRef = builder.objectRef<CustomerOrderSummary>('CustomerOrderSummary').implement({
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    status: t.field({ type: OrderStatus, resolve: (o) => o.status }),
    totalCents: t.exposeInt('totalCents'),
    itemCount: t.exposeInt('itemCount'),
    placedAt: t.field({ type: 'DateTime', resolve: (o) => o.placedAt }),
    version: t.exposeInt('version', { description: 'The order stream version this summary reflects.' }),
  }),
});

const CustomerOrderHistoryRef = builder.objectRef<CustomerOrderHistory>('CustomerOrderHistory').implement({
  description: "A customer's orders, newest first, with totals. Eventually consistent with the order streams.",
  fields: (t) => ({
    customerId: t.exposeID('customerId'),
    orderCount: t.exposeInt('orderCount'),
    totalSpentCents: t.exposeInt('totalSpentCents'),
    orders: t.field({ type: [CustomerOrderSummaryRef], resolve: (view) => ordersNewestFirst(view) }),
    updatedAt: t.field({ type: 'DateTime', resolve: (view) => view.updatedAt }),
  }),
});

const emptyHistory = (customerId: string): CustomerOrderHistory => ({
  customerId,
  orders: {},
  orderCount: 0,
  totalSpentCents: 0,
  updatedAt: new Date(0).toISOString(),
});

builder.queryType({});
builder.queryField('customerOrders', (t) =>
  t.field({
    type: CustomerOrderHistoryRef,
    args: { customerId: t.arg.id({ required: true }) },
    resolve: async (_root, { customerId }, { deps }) =>
      (await deps.readModels.get(customerOrderHistoryProjection, String(customerId))) ?? emptyHistory(String(customerId)),
  }),
);

builder.subscriptionType({});
builder.subscriptionField('customerOrders', (t) =>
  t.field({
    type: CustomerOrderHistoryRef,
    description: "The customer's order history now, then again every time it changes.",
    args: { customerId: t.arg.id({ required: true }) },
    subscribe: (_root, { customerId }, { deps }) =>
      deps.readModels.watch(customerOrderHistoryProjection, String(customerId)),
    resolve: (view, { customerId }) => view ?? emptyHistory(String(customerId)),
  }),
);
