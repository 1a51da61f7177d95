/** Catalog commands: add a product, change its price, restock it, discontinue it. */
import { z } from 'zod';
import { DEFAULT_STOCK_BUCKETS } from '../../catalog/addProduct.ts';
import { decideOnProductStock } from '../../catalog/decideOnProductStock.ts';
import type { DiscontinueProduct } from '../../catalog/discontinueProduct.ts';
import { productDecider } from '../../catalog/productDecider.ts';
import { ProductAlreadyExistsError, ProductDiscontinuedError, ProductNotFoundError } from '../../catalog/productErrors.ts';
import { LEGACY_CURRENCY, MAX_STOCK_BUCKETS, productStreamId } from '../../catalog/productEvents.ts';
import type { RestockProduct } from '../../catalog/restockProduct.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { type CommandInput, commandsOnStream, executeCommand, type StreamCommandPayload } from '../executeCommand.ts';
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

/**
 * Restock and discontinue write to the streams that hold the product's stock (its buckets), not only to
 * its own stream; they answer with the product stream's consistency token like the other catalog commands.
 */
async function runProductStockCommand(
  context: GraphQLContext,
  input: CommandInput,
  command: RestockProduct | DiscontinueProduct,
): Promise<StreamCommandPayload<'productId'>> {
  const outcome = await executeCommand(context, input, { actingAs: 'catalog', command: () => command, decideOn: decideOnProductStock });
  return { ...outcome, productId: command.productId };
}

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
    stockBuckets: t.int({
      required: false,
      description:
        `How many streams the stock is split over, 1 to ${MAX_STOCK_BUCKETS}: concurrent orders of the product rarely wait on each other ` +
        `with about as many buckets as orders in flight; a restock writes to each. Default ${DEFAULT_STOCK_BUCKETS}.`,
      validate: z.number().int().min(1).max(MAX_STOCK_BUCKETS).optional().nullable(),
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
        stockBuckets: input.stockBuckets ?? DEFAULT_STOCK_BUCKETS,
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
      runProductStockCommand(context, input, { type: 'RestockProduct', productId: String(input.productId), quantity: input.quantity }),
  }),
);

builder.mutationField('discontinueProduct', (t) =>
  t.field({
    authScopes: { catalog: true },
    type: ProductCommandPayloadRef,
    errors: { types: [...commandErrors, ProductNotFoundError] },
    args: { input: t.arg({ type: DiscontinueProductInput, required: true }) },
    resolve: (_root, { input }, context) =>
      runProductStockCommand(context, input, { type: 'DiscontinueProduct', productId: String(input.productId) }),
  }),
);
