/** Order lifecycle commands: place, confirm payment, ship, cancel. */
import { z } from 'zod';
import { InsufficientStockError, ProductDiscontinuedError, ProductNotFoundError } from '../../catalog/productErrors.ts';
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
import { IDEMPOTENCY_KEY_DESCRIPTION, IdempotencyKeySchema, IdSchema, QuantitySchema } from './commandInputs.ts';
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

const PlaceOrderInput = builder.inputType('PlaceOrderInput', {
  description: 'Prices come from the catalog when the order is placed, never from the client.',
  fields: (t) => ({
    customerId: t.id({ required: true, validate: IdSchema }),
    lines: t.field({
      type: [OrderLineInput],
      required: true,
      validate: z.array(z.any()).min(1, 'an order needs at least one line').max(100, 'at most 100 lines'),
    }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

const PlaceOrderPayloadRef = builder.objectRef<PlaceOrderResult & { replayed: boolean }>('PlaceOrderPayload').implement({
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

const OrderCommandPayloadRef = builder.objectRef<OrderCommandResult & { replayed: boolean }>('OrderCommandPayload').implement({
  description: 'The order after the command; `streamId` and `version` form a consistency token.',
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    status: t.field({ type: OrderStatusEnum, resolve: (p) => p.status }),
    streamId: t.exposeString('streamId'),
    version: t.exposeInt('version'),
    replayed: t.exposeBoolean('replayed'),
  }),
});

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
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      const placedAt = context.deps.clock().toISOString();
      const command = {
        type: 'PlaceOrder' as const,
        orderId: context.deps.newId(),
        customerId: String(input.customerId),
        lines: input.lines.map((l) => ({ productId: String(l.productId), quantity: l.quantity })),
        placedAt,
      };
      return executeCommand(context, {
        commandName: 'PlaceOrder',
        occurredAt: placedAt,
        actingAs: 'customer',
        idempotencyKey,
        request,
        decide: decideOnNewOrder(command),
      });
    },
  }),
);

const ConfirmOrderPaymentInput = builder.inputType('ConfirmOrderPaymentInput', {
  fields: (t) => ({
    orderId: t.id({ required: true, validate: IdSchema }),
    paymentReference: t.string({ required: true, validate: z.string().trim().min(1).max(200) }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

const ShipOrderInput = builder.inputType('ShipOrderInput', {
  fields: (t) => ({
    orderId: t.id({ required: true, validate: IdSchema }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

const CancelOrderInput = builder.inputType('CancelOrderInput', {
  fields: (t) => ({
    orderId: t.id({ required: true, validate: IdSchema }),
    reason: t.string({ required: false, validate: z.string().max(500).optional().nullable() }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
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
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      const paidAt = context.deps.clock().toISOString();
      const command = {
        type: 'ConfirmOrderPayment' as const,
        orderId: String(input.orderId),
        paymentReference: input.paymentReference,
        paidAt,
      };
      return executeCommand(context, {
        commandName: command.type,
        occurredAt: paidAt,
        actingAs: orderRole(context),
        idempotencyKey,
        request,
        decide: decideOnOrder(command),
      });
    },
  }),
);

builder.mutationField('shipOrder', (t) =>
  t.field({
    description: 'For fulfilment staff.',
    authScopes: { fulfilment: true },
    type: OrderCommandPayloadRef,
    errors: { types: [...lifecycleErrors] },
    args: { input: t.arg({ type: ShipOrderInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      const shippedAt = context.deps.clock().toISOString();
      const command = { type: 'ShipOrder' as const, orderId: String(input.orderId), shippedAt };
      return executeCommand(context, {
        commandName: command.type,
        occurredAt: shippedAt,
        actingAs: 'fulfilment',
        idempotencyKey,
        request,
        decide: decideOnOrder(command),
      });
    },
  }),
);

builder.mutationField('cancelOrder', (t) =>
  t.field({
    description: 'For the customer who placed the order, or fulfilment staff.',
    authScopes: (_root, { input }) => ({ fulfilment: true, orderOwner: String(input.orderId) }),
    type: OrderCommandPayloadRef,
    errors: { types: [...lifecycleErrors] },
    args: { input: t.arg({ type: CancelOrderInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      const cancelledAt = context.deps.clock().toISOString();
      const command = {
        type: 'CancelOrder' as const,
        orderId: String(input.orderId),
        reason: input.reason ?? 'cancelled by request',
        cancelledAt,
      };
      return executeCommand(context, {
        commandName: command.type,
        occurredAt: cancelledAt,
        actingAs: orderRole(context),
        idempotencyKey,
        request,
        decide: decideOnOrder(command),
      });
    },
  }),
);
