/**
 * Expected failures as typed results. Every error type implements `Error { code message }` so a
 * client can always read those two, and switch on `__typename` or `code` for the specifics.
 */
import { InputValidationError, type StandardSchemaV1 } from '@pothos/plugin-validation';
import {
  InsufficientStockError,
  ProductAlreadyExistsError,
  ProductDiscontinuedError,
  ProductNotFoundError,
} from '../../catalog/productErrors.ts';
import { ConcurrencyError, IdempotencyKeyReusedError } from '../../core/errors.ts';
import { CustomerAlreadyRegisteredError, CustomerNotFoundError } from '../../customers/customerErrors.ts';
import {
  InvalidOrderTransitionError,
  OrderAlreadyPlacedError,
  OrderHasNoLinesError,
  OrderNotFoundError,
} from '../../orders/orderErrors.ts';
import { builder } from '../builder.ts';

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure: a stable machine-readable code and a human-readable message.',
  fields: (t) => ({
    code: t.string({ resolve: errorCode }),
    message: t.exposeString('message'),
  }),
});

/**
 * The errors plugin hands resolvers a proxy of the thrown error whose prototype chain is not the
 * original's, so `instanceof` is unreliable here: read the code the error carries.
 */
function errorCode(error: Error): string {
  const { code, issues } = error as { code?: unknown; issues?: unknown };
  if (typeof code === 'string') return code;
  if (Array.isArray(issues)) return 'VALIDATION';
  return 'INTERNAL';
}

const InputValidationIssue = builder.objectRef<StandardSchemaV1.Issue>('InputValidationIssue').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    path: t.stringList({
      resolve: (issue) => issue.path?.map((part) => String(typeof part === 'object' ? part.key : part)) ?? [],
    }),
  }),
});

builder.objectType(InputValidationError, {
  name: 'InputValidationError',
  description: 'The input broke a validation rule; `issues` says where and why. Code VALIDATION.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    issues: t.field({ type: [InputValidationIssue], resolve: (error) => error.issues }),
  }),
});

builder.objectType(ConcurrencyError, {
  name: 'ConcurrencyConflict',
  description: 'Other writers kept changing the same data and retries ran out. Retrying later may succeed.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ streamId: t.exposeString('streamId') }),
});

builder.objectType(IdempotencyKeyReusedError, {
  name: 'IdempotencyKeyReused',
  description: 'The idempotency key was used before with a different request.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ idempotencyKey: t.exposeString('idempotencyKey') }),
});

builder.objectType(ProductNotFoundError, {
  name: 'ProductNotFound',
  interfaces: [ErrorInterface],
  fields: (t) => ({ productId: t.exposeID('productId') }),
});

builder.objectType(ProductAlreadyExistsError, {
  name: 'ProductAlreadyExists',
  interfaces: [ErrorInterface],
  fields: (t) => ({ productId: t.exposeID('productId') }),
});

builder.objectType(ProductDiscontinuedError, {
  name: 'ProductDiscontinued',
  interfaces: [ErrorInterface],
  fields: (t) => ({ productId: t.exposeID('productId') }),
});

builder.objectType(InsufficientStockError, {
  name: 'InsufficientStock',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    productId: t.exposeID('productId'),
    requested: t.exposeInt('requested'),
    available: t.exposeInt('available'),
  }),
});

builder.objectType(CustomerNotFoundError, {
  name: 'CustomerNotFound',
  interfaces: [ErrorInterface],
  fields: (t) => ({ customerId: t.exposeID('customerId') }),
});

builder.objectType(CustomerAlreadyRegisteredError, {
  name: 'CustomerAlreadyRegistered',
  interfaces: [ErrorInterface],
  fields: (t) => ({ customerId: t.exposeID('customerId') }),
});

builder.objectType(OrderNotFoundError, {
  name: 'OrderNotFound',
  interfaces: [ErrorInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId') }),
});

builder.objectType(OrderAlreadyPlacedError, {
  name: 'OrderAlreadyPlaced',
  interfaces: [ErrorInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId') }),
});

builder.objectType(OrderHasNoLinesError, {
  name: 'OrderHasNoLines',
  interfaces: [ErrorInterface],
  fields: (t) => ({ orderId: t.exposeID('orderId') }),
});

builder.objectType(InvalidOrderTransitionError, {
  name: 'InvalidOrderTransition',
  description: 'The order is not in a status that allows this action (code ORDER.INVALID_TRANSITION).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    status: t.exposeString('status'),
    action: t.exposeString('action'),
  }),
});

/** The error results every command mutation can return. */
export const commandErrors = [InputValidationError, ConcurrencyError, IdempotencyKeyReusedError] as const;
