/** Catalog commands: add a product, change its price, restock it, discontinue it. */
import { z } from 'zod';
import { productDecider, type ProductCommand } from '../../catalog/productDecider.ts';
import { decideOnStream } from '../../core/commandHandler.ts';
import { ProductAlreadyExistsError, ProductDiscontinuedError, ProductNotFoundError } from '../../catalog/productErrors.ts';
import { LEGACY_CURRENCY, productStreamId } from '../../catalog/productEvents.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { executeCommand } from '../executeCommand.ts';
import {
  IDEMPOTENCY_KEY_DESCRIPTION,
  IdempotencyKeySchema,
  IdSchema,
  PriceCentsSchema,
  QuantitySchema,
} from './commandInputs.ts';
import { commandErrors } from './errors.ts';

/** What addProduct assumes when no currency is given: the shop's currency from before prices carried one. */
export const DEFAULT_CURRENCY = LEGACY_CURRENCY;

interface ProductCommandPayload {
  productId: string;
  streamId: string;
  version: number;
  replayed: boolean;
}

const ProductCommandPayloadRef = builder.objectRef<ProductCommandPayload>('ProductCommandPayload').implement({
  description: 'The product stream after the command; `streamId` and `version` form a consistency token.',
  fields: (t) => ({
    productId: t.exposeID('productId'),
    streamId: t.exposeString('streamId'),
    version: t.exposeInt('version'),
    replayed: t.exposeBoolean('replayed'),
  }),
});

async function runProductCommand(
  context: GraphQLContext,
  command: ProductCommand,
  idempotencyKey: string | null | undefined,
  request: unknown,
): Promise<ProductCommandPayload> {
  const outcome = await executeCommand(context, {
    commandName: command.type,
    occurredAt: context.deps.clock().toISOString(),
    idempotencyKey,
    request,
    actingAs: 'catalog',
    decide: decideOnStream(productDecider, productStreamId(command.productId), command),
  });
  return { ...outcome, productId: command.productId };
}

const AddProductInput = builder.inputType('AddProductInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    name: t.string({ required: true, validate: z.string().trim().min(1).max(200) }),
    priceCents: t.int({ required: true, validate: PriceCentsSchema }),
    currency: t.string({
      required: false,
      description: 'ISO 4217 code of the price, e.g. EUR or USD. Default EUR.',
      validate: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').optional().nullable(),
    }),
    initialStock: t.int({ required: false, validate: z.number().int().min(0).max(1_000_000).optional().nullable() }),
    lowStockThreshold: t.int({
      required: false,
      description: 'Below this many available units the product is flagged as low on stock. Default 5.',
      validate: z.number().int().min(0).max(1_000_000).optional().nullable(),
    }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

const ChangeProductPriceInput = builder.inputType('ChangeProductPriceInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    priceCents: t.int({ required: true, validate: PriceCentsSchema }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

const RestockProductInput = builder.inputType('RestockProductInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    quantity: t.int({ required: true, validate: QuantitySchema }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

const DiscontinueProductInput = builder.inputType('DiscontinueProductInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

builder.mutationField('addProduct', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductAlreadyExistsError] },
    args: { input: t.arg({ type: AddProductInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      return runProductCommand(
        context,
        {
          type: 'AddProduct',
          productId: String(input.productId),
          name: input.name,
          priceCents: input.priceCents,
          currency: input.currency ?? DEFAULT_CURRENCY,
          initialStock: input.initialStock ?? 0,
          lowStockThreshold: input.lowStockThreshold ?? 5,
        },
        idempotencyKey,
        request,
      );
    },
  }),
);

builder.mutationField('changeProductPrice', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductNotFoundError, ProductDiscontinuedError] },
    args: { input: t.arg({ type: ChangeProductPriceInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      return runProductCommand(
        context,
        { type: 'ChangeProductPrice', productId: String(input.productId), priceCents: input.priceCents },
        idempotencyKey,
        request,
      );
    },
  }),
);

builder.mutationField('restockProduct', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductNotFoundError] },
    args: { input: t.arg({ type: RestockProductInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      return runProductCommand(
        context,
        { type: 'RestockProduct', productId: String(input.productId), quantity: input.quantity },
        idempotencyKey,
        request,
      );
    },
  }),
);

builder.mutationField('discontinueProduct', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductNotFoundError] },
    args: { input: t.arg({ type: DiscontinueProductInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      return runProductCommand(context, { type: 'DiscontinueProduct', productId: String(input.productId) }, idempotencyKey, request);
    },
  }),
);
