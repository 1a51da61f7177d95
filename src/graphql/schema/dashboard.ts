/** The sales dashboard: the SalesDashboard views (all orders, and per UTC day) as a query and a live subscription. */
import { z } from 'zod';
import type { OrderStatus } from '../../orders/orderEvents.ts';
import { inventoryCountProjection } from '../../projections/inventoryCount.ts';
import {
  emptySalesFigures,
  SALES_SUMMARY_ID,
  salesDashboardProjection,
  salesDayId,
  topSellers,
  utcDay,
  type ProductSales,
  type SalesFigures,
} from '../../projections/salesDashboard.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { PRICED_BY_PARENT } from '../queryCost.ts';
import { ProductRef } from './catalog.ts';

interface SalesDay extends SalesFigures {
  readonly date: string;
}

/** What the dashboard resolves from: the days it covers, and the summary when a subscription already has it. */
interface SalesDashboard {
  readonly dates: readonly string[];
  readonly summary?: SalesFigures;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const EPOCH = new Date(0).toISOString();

const OrderStatusCountsRef = builder.objectRef<Readonly<Record<OrderStatus, number>>>('OrderStatusCounts').implement({
  description: 'How many orders are in each status now.',
  fields: (t) => ({
    placed: t.int({ resolve: (c) => c.PLACED }),
    paid: t.int({ resolve: (c) => c.PAID }),
    shipped: t.int({ resolve: (c) => c.SHIPPED }),
    cancelled: t.int({ resolve: (c) => c.CANCELLED }),
  }),
});

const TopSellerRef = builder.objectRef<ProductSales>('TopSeller').implement({
  fields: (t) => ({
    productId: t.exposeID('productId'),
    productName: t.exposeString('productName', { description: 'The name the product was sold under.' }),
    units: t.exposeInt('units'),
    revenueCents: t.exposeInt('revenueCents'),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product as it is now; null if it is not in the catalog view.',
      resolve: (seller, _args, { loaders }) => loaders.load(inventoryCountProjection, seller.productId),
    }),
  }),
});

const LimitSchema = z.number().int().min(1).max(50);

const SalesFiguresRef = builder.interfaceRef<SalesFigures>('SalesFigures').implement({
  description: 'Sales of a set of orders. Cancelled orders count in `ordersByStatus` only.',
  fields: (t) => ({
    orders: t.exposeInt('orders', { description: 'Orders placed and not cancelled.' }),
    revenueCents: t.exposeInt('revenueCents'),
    units: t.exposeInt('units'),
    ordersByStatus: t.field({ type: OrderStatusCountsRef, resolve: (f) => f.ordersByStatus }),
    topSellers: t.field({
      type: [TopSellerRef],
      description: 'Highest revenue first, then most units, then product id.',
      args: { limit: t.arg.int({ required: false, defaultValue: 5, validate: LimitSchema }) },
      resolve: (f, { limit }) => topSellers(f, limit ?? 5),
    }),
    updatedAt: t.field({ type: 'DateTime', resolve: (f) => f.updatedAt }),
  }),
});

const SalesSummaryRef = builder.objectRef<SalesFigures>('SalesSummary').implement({
  description: 'Sales of all orders.',
  interfaces: [SalesFiguresRef],
  isTypeOf: (value) => !('date' in (value as object)),
  fields: () => ({}),
});

const SalesDayRef = builder.objectRef<SalesDay>('SalesDay').implement({
  description: 'Sales of the orders placed on one UTC day, whatever became of them later.',
  interfaces: [SalesFiguresRef],
  isTypeOf: (value) => 'date' in (value as object),
  fields: (t) => ({
    date: t.exposeString('date', { description: 'The UTC day, YYYY-MM-DD.' }),
  }),
});

function loadSummary(context: GraphQLContext): Promise<SalesFigures> {
  return context.loaders.load(salesDashboardProjection, SALES_SUMMARY_ID).then((view) => view ?? emptySalesFigures(EPOCH));
}

const SalesDashboardRef = builder.objectRef<SalesDashboard>('SalesDashboard').implement({
  fields: (t) => ({
    // The summary and the days are sibling fields, loaded in the same tick: one read for all of them.
    summary: t.field({ type: SalesSummaryRef, resolve: (d, _args, context) => d.summary ?? loadSummary(context) }),
    days: t.field({
      type: [SalesDayRef],
      description: 'One entry per day, oldest first, ending today (UTC); days without orders show zeros.',
      // Its length is the `days` argument of salesDashboard, which already multiplied this field's cost.
      complexity: PRICED_BY_PARENT,
      resolve: async (d, _args, { loaders }) => {
        const views = await loaders.loadMany(salesDashboardProjection, d.dates.map(salesDayId));
        return d.dates.map((date, i) => ({ ...(views[i] ?? emptySalesFigures(EPOCH)), date }));
      },
    }),
    topSellers: t.field({
      type: [TopSellerRef],
      description: "The summary's top sellers: highest revenue first, then most units, then product id.",
      args: { limit: t.arg.int({ required: false, defaultValue: 5, validate: LimitSchema }) },
      resolve: async (d, { limit }, context) => topSellers(d.summary ?? (await loadSummary(context)), limit ?? 5),
    }),
  }),
});

const DaysArg = { required: false, defaultValue: 7, validate: z.number().int().min(1).max(366) } as const;

/** The `days` UTC dates ending today, oldest first. */
function lastDays(today: Date, days: number): string[] {
  return Array.from({ length: days }, (_, i) => utcDay(new Date(today.getTime() - (days - 1 - i) * DAY_MS)));
}

builder.queryField('salesDashboard', (t) =>
  t.field({
    authScopes: { operator: true },
    type: SalesDashboardRef,
    args: { days: t.arg.int({ ...DaysArg, description: 'How many days, ending today (UTC). Default 7.' }) },
    resolve: (_root, { days }, { deps }) => ({ dates: lastDays(deps.clock(), days ?? 7) }),
  }),
);

builder.subscriptionField('salesDashboard', (t) =>
  t.field({
    authScopes: { operator: true },
    type: SalesDashboardRef,
    description: 'The dashboard now, then again after every order event (each one changes the summary).',
    args: { days: t.arg.int({ ...DaysArg, description: 'How many days, ending today (UTC). Default 7.' }) },
    subscribe: (_root, _args, { deps }) => deps.readModels.watch(salesDashboardProjection, SALES_SUMMARY_ID),
    resolve: (summary, { days }, { deps, loaders }) => {
      loaders.clearAll();
      return { dates: lastDays(deps.clock(), days ?? 7), summary: summary ?? emptySalesFigures(EPOCH) };
    },
  }),
);
