/**
 * The catalog as read: products with their stock (the InventoryCount view) and what is bought with
 * them (the Recommendations view); queries, a page of the catalog, and live stock and low-stock alerts.
 */
import { z } from 'zod';
import { inventoryCountProjection, type InventoryCount, type ProductStatus } from '../../projections/inventoryCount.ts';
import { boughtTogether, recommendationsProjection, type BoughtTogether } from '../../projections/recommendations.ts';
import { type ProductAdded, productStreamId, stockBucketStreamId } from '../../catalog/productEvents.ts';
import type { RecordedEvent, TemporalReads } from '../../core/temporalReads.ts';
import { builder } from '../builder.ts';
import { readOptionArgs, readView } from './readOptions.ts';
import { forwardPageArgs, viewConnection } from '../viewConnections.ts';

const ProductStatusEnum = builder.enumType('ProductStatus', {
  values: ['ACTIVE', 'DISCONTINUED'] as const satisfies readonly ProductStatus[],
});

export const ProductRef = builder.objectRef<InventoryCount>('Product');

const BoughtTogetherRef = builder.objectRef<BoughtTogether>('BoughtTogether').implement({
  description: 'A product bought in the same orders as another, and in how many of them.',
  fields: (t) => ({
    productId: t.exposeID('productId'),
    count: t.exposeInt('count', { description: 'Orders, placed and not cancelled, that held both products.' }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'Null if the product is not in the catalog view (yet).',
      resolve: (item, _args, { loaders }) => loaders.load(inventoryCountProjection, item.productId),
    }),
  }),
});

ProductRef.implement({
  description: 'A catalog product with its stock. Eventually consistent with the product stream.',
  fields: (t) => ({
    id: t.exposeID('productId'),
    name: t.exposeString('name'),
    priceCents: t.exposeInt('priceCents'),
    currency: t.exposeString('currency', { description: 'ISO 4217 code of the price.' }),
    status: t.field({ type: ProductStatusEnum, resolve: (p) => p.status }),
    onHand: t.exposeInt('onHand', { description: 'Units in the warehouse, reserved ones included.' }),
    reserved: t.exposeInt('reserved', { description: 'Units set aside for placed or paid orders.' }),
    available: t.exposeInt('available', { description: 'Units a new order can take: on hand minus reserved.' }),
    sold: t.exposeInt('sold', { description: 'Units shipped to customers.' }),
    lowStockThreshold: t.exposeInt('lowStockThreshold'),
    lowStock: t.exposeBoolean('lowStock', { description: 'Active, with at most `lowStockThreshold` units available.' }),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
    version: t.exposeInt('version', { description: 'The product stream version this view reflects.' }),
    boughtTogether: t.field({
      type: [BoughtTogetherRef],
      description: 'The products most often in the same orders as this one: most orders first, ties by id.',
      args: { limit: t.arg.int({ required: false, defaultValue: 5, validate: z.number().int().min(1).max(20) }) },
      resolve: async (product, { limit }, { loaders }) => {
        const view = await loaders.load(recommendationsProjection, product.productId);
        return view ? boughtTogether(view, product.productId, limit ?? 5) : [];
      },
    }),
  }),
});

builder.queryField('product', (t) =>
  t.field({
    authScopes: { public: true },
    type: ProductRef,
    nullable: true,
    args: { productId: t.arg.id({ required: true }), ...readOptionArgs(t) },
    resolve: (_root, { productId, ...options }, context) =>
      readView(context, inventoryCountProjection, String(productId), options, (asOf) =>
        productEventsAsOf(context.deps.temporal!, String(productId), asOf),
      ),
  }),
);

/**
 * A product's events up to `asOf`: its own stream's and, for a product whose stock is split over buckets,
 * every bucket's (the inventory view counts them all; its evolve does not depend on their order).
 */
async function productEventsAsOf(temporal: TemporalReads, productId: string, asOf: Date): Promise<RecordedEvent[]> {
  const own = await temporal.streamAsOf(productStreamId(productId), asOf);
  const added = own.find((e) => e.event.type === 'ProductAdded')?.event.data as ProductAdded['data'] | undefined;
  const buckets = await Promise.all(
    Array.from({ length: added?.stockBuckets ?? 0 }, (_, k) => temporal.streamAsOf(stockBucketStreamId(productId, k), asOf)),
  );
  return [...own, ...buckets.flat()];
}

const ProductConnectionRef = builder.connectionObject({ type: ProductRef, name: 'ProductConnection' }, { name: 'ProductEdge' });

builder.queryField('products', (t) =>
  t.field({
    authScopes: { public: true },
    type: ProductConnectionRef,
    description: 'The catalog in product id order, a page at a time (forward).',
    args: {
      ...forwardPageArgs(t),
      lowStock: t.arg.boolean({ required: false, description: 'Only products whose `lowStock` is this.' }),
    },
    resolve: (_root, args, context) =>
      viewConnection(context, inventoryCountProjection, args, args.lowStock == null ? undefined : { lowStock: args.lowStock }),
  }),
);

builder.subscriptionField('productInventory', (t) =>
  t.field({
    authScopes: { public: true },
    type: ProductRef,
    nullable: true,
    description: 'The product and its stock now (null until it is in the catalog view), then at every change.',
    args: { productId: t.arg.id({ required: true }) },
    subscribe: (_root, { productId }, { deps }) => deps.readModels.watch(inventoryCountProjection, String(productId)),
    resolve: (product, _args, { loaders }) => {
      loaders.clearAll();
      return product;
    },
  }),
);

builder.subscriptionField('lowStockAlerts', (t) =>
  t.field({
    authScopes: { catalog: true, operator: true },
    type: [ProductRef],
    description:
      'Every product low on stock now, then, as they change, the products that became low, changed while low, ' +
      'or recovered (these with `lowStock: false`), across the catalog. Products that changed together come together.',
    subscribe: (_root, _args, { deps }) => deps.readModels.watchQuery(inventoryCountProjection, { where: { lowStock: true } }),
    resolve: (changes, _args, { loaders }) => {
      loaders.clearAll();
      return Promise.all(
        changes.map(async (change) => {
          if (change.type !== 'removed') return change.view;
          // A product that left the low-stock query: its current state says why (restocked, discontinued).
          return (await loaders.load(inventoryCountProjection, change.id)) ?? { ...change.view, lowStock: false };
        }),
      );
    },
  }),
);
