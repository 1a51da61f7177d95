/** Catalog commands: add a product, change its price, restock it, discontinue it. */
import { z } from 'zod';
import { productDecider } from '../../catalog/productDecider.ts';
import { ProductAlreadyExistsError, ProductDiscontinuedError, ProductNotFoundError } from '../../catalog/productErrors.ts';
import { LEGACY_CURRENCY, productStreamId } from '../../catalog/productEvents.ts';
import { builder } from '../builder.ts';
import { commandsOnStream, type StreamCommandPayload } from '../executeCommand.ts';
import { commandInput, IdSchema, PriceCentsSchema, QuantitySchema } from './commandInputs.ts';
import { commandPayload } from './commandPayload.ts';
import { commandErrors } from './errors.ts';

/** What addProduct assumes when no currency is given: the shop's currency from before prices carried one. */
const DEFAULT_CURRENCY = LEGACY_CURRENCY;

const ProductCommandPayloadRef = commandPayload<StreamCommandPayload<'productId'>>('ProductCommandPayload', {
  description: 'The product stream after the command; `streamId` and `version` form a consistency token.',
  idField: 'productId',
});

const runProductCommand = commandsOnStream({
  decider: productDecider,
  idField: 'productId',
  streamId: productStreamId,
  actingAs: 'catalog',
});

const AddProductInput = commandInput('AddProductInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    name: t.string({ required: true, validate: z.string().trim().min(1).max(200) }),
    priceCents: t.int({ required: true, validate: PriceCentsSchema }),
    currency: t.string({
      required: false,
      description: 'ISO 4217 code of the price, e.g. EUR or USD. Default EUR.',
      validate: z
        .string()
        .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
        .optional()
        .nullable(),
    }),
    initialStock: t.int({ required: false, validate: z.number().int().min(0).max(1_000_000).optional().nullable() }),
    lowStockThreshold: t.int({
      required: false,
      description: 'Below this many available units the product is flagged as low on stock. Default 5.',
      validate: z.number().int().min(0).max(1_000_000).optional().nullable(),
    }),
  }),
});

const ChangeProductPriceInput = commandInput('ChangeProductPriceInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    priceCents: t.int({ required: true, validate: PriceCentsSchema }),
  }),
});

const RestockProductInput = commandInput('RestockProductInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
    quantity: t.int({ required: true, validate: QuantitySchema }),
  }),
});

const DiscontinueProductInput = commandInput('DiscontinueProductInput', {
  fields: (t) => ({
    productId: t.id({ required: true, validate: IdSchema }),
  }),
});

builder.mutationField('addProduct', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductAlreadyExistsError] },
    args: { input: t.arg({ type: AddProductInput, required: true }) },
    resolve: (_root, { input }, context) =>
      runProductCommand(context, input, {
        type: 'AddProduct',
        productId: String(input.productId),
        name: input.name,
        priceCents: input.priceCents,
        currency: input.currency ?? DEFAULT_CURRENCY,
        initialStock: input.initialStock ?? 0,
        lowStockThreshold: input.lowStockThreshold ?? 5,
      }),
  }),
);

builder.mutationField('changeProductPrice', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductNotFoundError, ProductDiscontinuedError] },
    args: { input: t.arg({ type: ChangeProductPriceInput, required: true }) },
    resolve: (_root, { input }, context) =>
      runProductCommand(context, input, { type: 'ChangeProductPrice', productId: String(input.productId), priceCents: input.priceCents }),
  }),
);

builder.mutationField('restockProduct', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductNotFoundError] },
    args: { input: t.arg({ type: RestockProductInput, required: true }) },
    resolve: (_root, { input }, context) =>
      runProductCommand(context, input, { type: 'RestockProduct', productId: String(input.productId), quantity: input.quantity }),
  }),
);

builder.mutationField('discontinueProduct', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductNotFoundError] },
    args: { input: t.arg({ type: DiscontinueProductInput, required: true }) },
    resolve: (_root, { input }, context) =>
      runProductCommand(context, input, { type: 'DiscontinueProduct', productId: String(input.productId) }),
  }),
);
