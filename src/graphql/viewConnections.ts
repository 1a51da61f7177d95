/**
 * Relay cursor connections over views: pages of views read in id order (forward only, see
 * `ListOptions`), and pages of a list held inside one view (both ways).
 * A cursor is the opaque form of the id it follows, so a page stays correct while items are added
 * elsewhere in the collection (an offset would shift).
 */
import { resolveCursorConnection, type DefaultConnectionArguments, type PageInfoShape } from '@pothos/plugin-relay';
import { createGraphQLError } from 'graphql-yoga';
import type { AnyProjection } from '../core/projection.ts';
import type { ViewFilter } from '../core/readModels.ts';
import type { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';

const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

export interface ForwardPageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

type ArgBuilder = Parameters<Parameters<typeof builder.queryField>[1]>[0]['arg'];

/** Relay's `first` and `after`, without `last` and `before`, which `viewConnection` cannot honour. */
export function forwardPageArgs(t: { arg: ArgBuilder }) {
  return {
    first: t.arg.int({ required: false, description: `Page size: default ${DEFAULT_PAGE}, at most ${MAX_PAGE}.` }),
    after: t.arg.string({ required: false, description: 'The `endCursor` of the previous page.' }),
  };
}

export interface Page<T> {
  readonly edges: Array<{ cursor: string; node: T }>;
  readonly pageInfo: PageInfoShape;
}

function invalid(message: string, code: string) {
  return createGraphQLError(message, { extensions: { code } });
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // Decoding is lenient; a cursor this API issued re-encodes to itself, and names no path.
  if (id.length === 0 || id.includes('/') || encodeCursor(id) !== cursor) {
    throw invalid('The cursor is not one this API issued.', 'CURSOR.INVALID');
  }
  return id;
}

/** A page of a projection's views, optionally filtered; the views read prime the request's loaders. */
export async function viewConnection<View>(
  context: GraphQLContext,
  projection: AnyProjection<View>,
  args: ForwardPageArgs,
  where?: ViewFilter<View>,
): Promise<Page<View>> {
  const size = args.first ?? DEFAULT_PAGE;
  if (size < 0 || size > MAX_PAGE) throw invalid(`"first" must be between 0 and ${MAX_PAGE}.`, 'PAGE.INVALID_SIZE');
  // One more than asked tells whether there is a next page.
  const docs = await context.deps.readModels.list(projection, {
    first: size + 1,
    after: args.after ? decodeCursor(args.after) : null,
    ...(where ? { where } : {}),
  });
  const page = docs.slice(0, size);
  for (const { id, view } of page) context.loaders.prime(projection, id, view);
  const edges = page.map(({ id, view }) => ({ cursor: encodeCursor(id), node: view }));
  return {
    edges,
    pageInfo: {
      hasNextPage: docs.length > size,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A page of a list that lives inside one view (already in the order it is read in). */
export function listConnection<T>(items: readonly T[], keyOf: (item: T) => string, args: DefaultConnectionArguments) {
  const keys = items.map(keyOf);
  const indexOf = (cursor: string) => {
    const index = keys.indexOf(decodeCursor(cursor));
    if (index < 0) throw invalid('The cursor names no item of this list.', 'CURSOR.INVALID');
    return index;
  };
  return resolveCursorConnection<T[]>(
    { args, defaultSize: DEFAULT_PAGE, maxSize: MAX_PAGE, toCursor: (item: T) => encodeCursor(keyOf(item)) },
    ({ after, before, limit, inverted }) => {
      const window = items.slice(after ? indexOf(after) + 1 : 0, before ? indexOf(before) : items.length);
      return inverted ? window.slice(-limit).reverse() : window.slice(0, limit);
    },
  );
}
