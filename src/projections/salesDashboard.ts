/**
 * SalesDashboard: sales figures for all orders (the `summary` document) and for the orders placed
 * on each UTC day (`day-YYYY-MM-DD`, by the order's placement time, whenever the event happens).
 *
 * Both kinds of document have one shape and one `evolve`: every order event goes to the summary and
 * to its placement day, so a day document also knows what became of that day's orders. Revenue,
 * units and the order count include placed orders and drop cancelled ones; status counts move with
 * each transition. Everything is a sum, so orders of different streams may arrive in any order.
 *
 * Every order writes the summary and its day, so both are rolled-up sharded counters: each event's contribution
 * is recorded in a document of its own and folded into its stream's shard (SALES_SHARDS documents per view) at
 * most about once a second; a read merges the shards and the contributions not folded yet (`mergeSalesFigures`).
 * See src/firestore/viewRollUp.ts.
 */
import { assertNever } from '../core/decider.ts';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { Projection } from '../core/projection.ts';
import type { OrderEvent, OrderLine, OrderStatus } from '../orders/orderEvents.ts';

export const SALES_SUMMARY_ID = 'summary';

/** The view id of a UTC day's figures, from a `YYYY-MM-DD` date. */
export const salesDayId = (date: string): string => `day-${date}`;

/** The UTC calendar day (`YYYY-MM-DD`) of an instant. */
export const utcDay = (at: string | Date): string => new Date(at).toISOString().slice(0, 10);

export interface ProductSales {
  readonly productId: string;
  /** The name on the orders that sold it (orders keep the name they were placed with). */
  readonly productName: string;
  readonly units: number;
  readonly revenueCents: number;
}

export interface SalesFigures {
  /** Orders placed and not cancelled. */
  readonly orders: number;
  readonly revenueCents: number;
  readonly units: number;
  /** How many orders are in each status now. */
  readonly ordersByStatus: Readonly<Record<OrderStatus, number>>;
  /** Sales of every product sold, keyed by product id. */
  readonly perProduct: Readonly<Record<string, ProductSales>>;
  /** The latest event time applied (the maximum, so that it does not depend on arrival order). */
  readonly updatedAt: string;
}

/**
 * Shards per view: each is written by at most one roll-up a second, whatever the load; a roll-up folds at most
 * 400 contributions, so together they fold up to 6,400 of a view's events a second before contributions pile up.
 * Raising it takes a deploy and nothing else (no new version, no rebuild): a read merges every part of a view,
 * whatever its shard, and the figures are sums, so what the earlier count folded stays exact beside what the new
 * one folds, and instances of both may run at once while it rolls out.
 */
export const SALES_SHARDS = 16;

export const salesDashboardProjection: Projection<SalesFigures, OrderEvent> = {
  name: 'salesDashboard',
  // 2: the views became sharded counters (`summary~00` ... `summary~15`).
  // 3: they moved to the target's view parts, with one contribution per event rolled up into them: a rebuild
  // writes the new layout.
  version: 3,
  eventTypes: ['OrderPlaced', 'OrderPaymentConfirmed', 'OrderShipped', 'OrderCancelled'],
  viewIds: (event) => [SALES_SUMMARY_ID, salesDayId(utcDay(event.data.placedAt))],
  evolve: evolveSalesFigures,
  sharded: { shards: SALES_SHARDS, merge: mergeSalesFigures, rolledUp: true },
};

/** The figures of several sets of orders (the shards of a view) as one. */
export function mergeSalesFigures(parts: readonly SalesFigures[]): SalesFigures {
  const ordersByStatus = { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 0 };
  const perProduct: Record<string, ProductSales> = {};
  let [orders, revenueCents, units, updatedAt] = [0, 0, 0, new Date(0).toISOString()];
  for (const part of parts) {
    orders += part.orders;
    revenueCents += part.revenueCents;
    units += part.units;
    if (part.updatedAt > updatedAt) updatedAt = part.updatedAt;
    for (const status of Object.keys(ordersByStatus) as OrderStatus[]) ordersByStatus[status] += part.ordersByStatus[status];
    for (const sales of Object.values(part.perProduct)) {
      const before = perProduct[sales.productId];
      perProduct[sales.productId] = {
        productId: sales.productId,
        // The first shard's name, so that a merge does not depend on the order shards are read in.
        productName: before?.productName ?? sales.productName,
        units: (before?.units ?? 0) + sales.units,
        revenueCents: (before?.revenueCents ?? 0) + sales.revenueCents,
      };
    }
  }
  for (const [productId, sales] of Object.entries(perProduct)) {
    if (sales.units === 0 && sales.revenueCents === 0) delete perProduct[productId];
  }
  return { orders, revenueCents, units, ordersByStatus, perProduct, updatedAt };
}

export function emptySalesFigures(at: string): SalesFigures {
  return {
    orders: 0,
    revenueCents: 0,
    units: 0,
    ordersByStatus: { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 0 },
    perProduct: {},
    updatedAt: at,
  };
}

function evolveSalesFigures(view: SalesFigures | null, event: EventEnvelope<OrderEvent>): SalesFigures {
  const current = view ?? emptySalesFigures(event.occurredAt);
  const updatedAt = event.occurredAt > current.updatedAt ? event.occurredAt : current.updatedAt;
  const moved = (from: OrderStatus | null, to: OrderStatus) => {
    const counts = { ...current.ordersByStatus };
    if (from) counts[from] -= 1;
    counts[to] += 1;
    return counts;
  };
  switch (event.type) {
    case 'OrderPlaced':
      return {
        ...withSales(current, event.data.lines, event.data.totalCents, +1),
        ordersByStatus: moved(null, 'PLACED'),
        updatedAt,
      };
    case 'OrderPaymentConfirmed':
      return { ...current, ordersByStatus: moved('PLACED', 'PAID'), updatedAt };
    case 'OrderShipped':
      return { ...current, ordersByStatus: moved('PAID', 'SHIPPED'), updatedAt };
    case 'OrderCancelled':
      return {
        ...withSales(current, event.data.lines, event.data.totalCents, -1),
        ordersByStatus: moved(event.data.previousStatus, 'CANCELLED'),
        updatedAt,
      };
    default:
      return assertNever(event);
  }
}

/** Adds (+1) or takes back (-1) one order's sales. */
function withSales(figures: SalesFigures, lines: readonly OrderLine[], totalCents: number, sign: 1 | -1): SalesFigures {
  const perProduct: Record<string, ProductSales> = { ...figures.perProduct };
  let units = 0;
  for (const line of lines) {
    units += line.quantity;
    const before = perProduct[line.productId];
    const after: ProductSales = {
      productId: line.productId,
      productName: before?.productName ?? line.productName,
      units: (before?.units ?? 0) + sign * line.quantity,
      revenueCents: (before?.revenueCents ?? 0) + sign * line.quantity * line.unitPriceCents,
    };
    if (after.units === 0 && after.revenueCents === 0) delete perProduct[line.productId];
    else perProduct[line.productId] = after;
  }
  return {
    ...figures,
    orders: figures.orders + sign,
    revenueCents: figures.revenueCents + sign * totalCents,
    units: figures.units + sign * units,
    perProduct,
  };
}

/** The best-selling products: highest revenue first, then most units, then product id. */
export function topSellers(figures: SalesFigures, limit: number): ProductSales[] {
  return Object.values(figures.perProduct)
    .filter((p) => p.units > 0)
    .sort(
      (a, b) =>
        b.revenueCents - a.revenueCents || b.units - a.units || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0),
    )
    .slice(0, limit);
}
