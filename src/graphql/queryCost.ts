/**
 * What a query costs, priced from its shape and arguments before anything runs (the budget is checked in
 * `queryLimits.ts`). The price follows the work a field causes, not the bytes it returns:
 *
 * - every field costs 1;
 * - an argument that sizes a list (`first`, `last`, `limit`, `days`) multiplies the cost of the field's
 *   sub-selection by the size asked for, so `boughtTogether(limit: 20) { product { … } }` nested twice costs
 *   about 20 × 20 times its innermost selection, as it would cost to resolve;
 * - a list without such an argument multiplies by UNSIZED_LIST_MULTIPLIER (order lines, timelines, alerts),
 *   unless the size of its parent already counted its items (a connection's `edges`, the dashboard's `days`:
 *   those fields say so with their own `complexity`);
 * - `asOf` adds AS_OF_SCAN_COST: time travel folds a stream's events instead of reading one view.
 *
 * This is @pothos/plugin-complexity's `fieldComplexity`, the default for every field of the schema.
 */
import type { FieldComplexityValue } from '@pothos/plugin-complexity';

/** What pricing needs of a field: its arguments' names and its (printable) type. */
interface PricedField {
  readonly args: ReadonlyArray<{ readonly name: string }>;
  readonly type: { toString(): string };
}

/** The arguments that say how many items a field returns. */
export const SIZE_ARGUMENTS = ['first', 'last', 'limit', 'days'] as const;
/**
 * What a size argument left out is priced at when it declares no default: the largest default page of the
 * API (`streamHistory` and `deadLetters` give 50; `products`, `customers` and `orders` 20).
 */
export const UNGIVEN_PAGE_SIZE = 50;
/** How many items a list without a size argument is assumed to hold. */
export const UNSIZED_LIST_MULTIPLIER = 10;
/** What reading a view as of an instant adds: the events of its stream are read and folded. */
export const AS_OF_SCAN_COST = 100;

/** The central `fieldComplexity`: see the module comment. */
export function fieldCost(args: Record<string, unknown>, _context: unknown, field: PricedField): FieldComplexityValue {
  const own = 1 + (args.asOf == null ? 0 : AS_OF_SCAN_COST);
  const sized = field.args.some((arg) => (SIZE_ARGUMENTS as readonly string[]).includes(arg.name));
  if (sized) return { field: own, multiplier: requestedSize(args) };
  return { field: own, multiplier: isList(field) ? UNSIZED_LIST_MULTIPLIER : 1 };
}

/** For a field whose items its parent's size argument already priced. */
export const PRICED_BY_PARENT: FieldComplexityValue = { field: 1, multiplier: 1 };

/** The largest size asked for (Relay lets `first` and `last` come together; the page is at most the larger). */
function requestedSize(args: Record<string, unknown>): number {
  const sizes = SIZE_ARGUMENTS.map((name) => args[name]).filter((value): value is number => typeof value === 'number');
  return sizes.length === 0 ? UNGIVEN_PAGE_SIZE : Math.max(0, ...sizes);
}

/**
 * Read from the printed type (`[Product!]!`) rather than with graphql's `isListType`, whose instanceof check
 * fails across the two copies of the graphql module that can be loaded side by side (ESM and CJS, as under vitest).
 */
function isList(field: PricedField): boolean {
  return String(field.type).startsWith('[');
}
