/** Order lifecycle commands: place, confirm payment, ship, cancel. */
import { z } from 'zod';
import { InsufficientStockError, ProductDiscontinuedError, ProductNotFoundError } from '../../catalog/productErrors.ts';
import type { CommandOutcome } from '../../core/commandHandler.ts';
import { CustomerNotFoundError } from '../../customers/customerErrors.ts';
import { decideOnNewOrder, decideOnOrder, type OrderCommandResult, type PlaceOrderResult } from '../../orders/decideOnOrder.ts';
import {
  InvalidOrderTransitionError,
  OrderAlreadyPlacedError,
  OrderHasNoLinesError,
  OrderNotFoundError,
} from '../../orders/orderErrors.ts';
import type { OrderStatus } from '../../orders/orderEvents.ts';
import { builder } from '../builder.ts';
import { executeCommand, orderRole } from '../executeCommand.ts';
import { commandInput, IdSchema, QuantitySchema } from './commandInputs.ts';
import { commandPayload } from './commandPayload.ts';
import { commandErrors } from './errors.ts';

export const OrderStatusEnum = builder.enumType('OrderStatus', {
  values: ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const satisfies readonly OrderStatus[],
});

const OrderLineInput = builder.inputType('OrderLineInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    quantity: t.int({ required: true, validate: QuantitySchema }),
  }),
});

const PlaceOrderInput = commandInput('PlaceOrderInput', {
  description: 'Prices come from the catalog when the order is placed, never from the client.',
  fields: (t) => ({
    customerId: t.id({ required: true, validate: IdSchema }),
    lines: t.field({
      type: [OrderLineInput],
      required: true,
      validate: z.array(z.any()).min(1, 'an order needs at least one line').max(100, 'at most 100 lines'),
    }),
  }),
});

const PlaceOrderPayloadRef = builder.objectRef<CommandOutcome<PlaceOrderResult>>('PlaceOrderPayload').implement({
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    streamId: t.exposeString('streamId', { description: 'The order stream; with `version`, a consistency token.' }),
    version: t.exposeInt('version', { description: 'The order stream version after this command.' }),
    totalCents: t.exposeInt('totalCents', { description: 'The order total at catalog prices when placed.' }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when the idempotency key matched an earlier request and nothing new was written.',
    }),
  }),
});

const OrderCommandPayloadRef = commandPayload<CommandOutcome<OrderCommandResult>>('OrderCommandPayload', {
  description: 'The order after the command; `streamId` and `version` form a consistency token.',
  idField: 'orderId',
});
builder.objectField(OrderCommandPayloadRef, 'status', (t) => t.field({ type: OrderStatusEnum, resolve: (p) => p.status }));

builder.mutationField('placeOrder', (t) =>
  t.field({
    description: 'Places an order for the signed-in customer: `customerId` must be their uid.',
    authScopes: (_root, { input }) => ({ customer: String(input.customerId) }),
    type: PlaceOrderPayloadRef,
    errors: {
      types: [
        ...commandErrors,
        CustomerNotFoundError,
        ProductNotFoundError,
        ProductDiscontinuedError,
        InsufficientStockError,
        OrderAlreadyPlacedError,
        OrderHasNoLinesError,
      ],
    },
    args: { input: t.arg({ type: PlaceOrderInput, required: true }) },
    resolve: (_root, { input }, context) =>
      executeCommand(context, input, {
        actingAs: 'customer',
        command: (placedAt) => ({
          type: 'PlaceOrder' as const,
          orderId: context.deps.newId(),
          customerId: String(input.customerId),
          lines: input.lines.map((l) => ({ productId: String(l.productId), quantity: l.quantity })),
          placedAt,
        }),
        decideOn: decideOnNewOrder,
      }),
  }),
);

const ConfirmOrderPaymentInput = commandInput('ConfirmOrderPaymentInput', {
  fields: (t) => ({
    orderId: t.id({ required: true, validate: IdSchema }),
    paymentReference: t.string({ required: true, validate: z.string().trim().min(1).max(200) }),
  }),
});

const ShipOrderInput = commandInput('ShipOrderInput', {
  fields: (t) => ({
    orderId: t.id({ required: true, validate: IdSchema }),
  }),
});

const CancelOrderInput = commandInput('CancelOrderInput', {
  fields: (t) => ({
    orderId: t.id({ required: true, validate: IdSchema }),
    reason: t.string({ required: false, validate: z.string().max(500).optional().nullable() }),
  }),
});

const lifecycleErrors = [...commandErrors, OrderNotFoundError, InvalidOrderTransitionError] as const;

builder.mutationField('confirmOrderPayment', (t) =>
  t.field({
    description: 'For the customer who placed the order, or fulfilment staff.',
    authScopes: (_root, { input }) => ({ fulfilment: true, orderOwner: String(input.orderId) }),
    type: OrderCommandPayloadRef,
    errors: { types: [...lifecycleErrors] },
    args: { input: t.arg({ type: ConfirmOrderPaymentInput, required: true }) },
    resolve: (_root, { input }, context) =>
      executeCommand(context, input, {
        actingAs: orderRole(context),
        command: (paidAt) => ({
          type: 'ConfirmOrderPayment' as const,
          orderId: String(input.orderId),
          paymentReference: input.paymentReference,
          paidAt,
        }),
        decideOn: decideOnOrder,
      }),
  }),
);

builder.mutationField('shipOrder', (t) =>
  t.field({
    description: 'For fulfilment staff.',
    authScopes: { fulfilment: true },
    type: OrderCommandPayloadRef,
    errors: { types: [...lifecycleErrors] },
    args: { input: t.arg({ type: ShipOrderInput, required: true }) },
    resolve: (_root, { input }, context) =>
      executeCommand(context, input, {
        actingAs: 'fulfilment',
        command: (shippedAt) => ({ type: 'ShipOrder' as const, orderId: String(input.orderId), shippedAt }),
        decideOn: decideOnOrder,
      }),
  }),
);

builder.mutationField('cancelOrder', (t) =>
  t.field({
    description: 'For the customer who placed the order, or fulfilment staff.',
    authScopes: (_root, { input }) => ({ fulfilment: true, orderOwner: String(input.orderId) }),
    type: OrderCommandPayloadRef,
    errors: { types: [...lifecycleErrors] },
    args: { input: t.arg({ type: CancelOrderInput, required: true }) },
    resolve: (_root, { input }, context) =>
      executeCommand(context, input, {
        actingAs: orderRole(context),
        command: (cancelledAt) => ({
          type: 'CancelOrder' as const,
          orderId: String(input.orderId),
          reason: input.reason ?? 'cancelled by request',
          cancelledAt,
        }),
        decideOn: decideOnOrder,
      }),
  }),
);
