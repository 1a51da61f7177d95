/**
 * Hostile clients against the API on a real port (HTTP and WebSocket) over the Firestore emulator: queries
 * built to exhaust it are refused, with a stable code, before any resolver runs (no view is read); the API
 * keeps answering, and its heap stays bounded, afterwards.
 */
import { randomUUID } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnyProjection } from '../src/core/projection.ts';
import type { ListOptions } from '../src/core/readModels.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { DEFAULT_API_LIMITS } from '../src/graphql/apiLimits.ts';
import { productView, startLiveApi, type LiveApi } from './support/liveApi.ts';
import { asStaff, connectionAs } from './support/identities.ts';
import { openWs, type RawWs } from './support/rawStreams.ts';

/** The query that took the API to a 4 GB heap: bought-together products of bought-together products, 8 deep. */
const EIGHT_DEEP = `query { product(productId: "sku-french-press") { ${nest(8, 20, 'name')} } }`;
/** 2,000 copies of a year of the sales dashboard (about 1.5 s of work when it was answered). */
const TWO_THOUSAND_ALIASES = `query { ${Array.from({ length: 2_000 }, (_, i) => `a${i}:salesDashboard(days:365){days{date}}`).join(' ')} }`;
/** What the dashboard asks for (dashboard/src/inventoryPanel.ts). */
const DASHBOARD_PRODUCTS = /* GraphQL */ `
  query DashboardProducts($after: String) {
    products(first: 100, after: $after) { edges { node { id name status available onHand reserved lowStock lowStockThreshold } } pageInfo { hasNextPage endCursor } }
  }
`;
/** What the dashboard subscribes to (dashboard/src/salesPanel.ts). */
const DASHBOARD_SALES = /* GraphQL */ `
  subscription DashboardSales {
    salesDashboard(days: 7) {
      summary { orders revenueCents units ordersByStatus { placed paid shipped cancelled } }
      days { date orders revenueCents }
      topSellers(limit: 5) { productId productName units revenueCents }
    }
  }
`;

/** `boughtTogether(limit) { product { … } }`, `levels` deep, around `innermost`. */
function nest(levels: number, limit: number, innermost: string): string {
  let selection = innermost;
  for (let i = 0; i < levels; i++) selection = `boughtTogether(limit: ${limit}) { product { ${selection} } }`;
  return selection;
}

/** The read models, counting every read and every live stream opened: none may happen for a refused query. */
class CountingReadModels extends FirestoreReadModels {
  reads = 0;

  override get<View>(projection: AnyProjection<View>, id: string) {
    this.reads++;
    return super.get(projection, id);
  }

  override getMany<View>(projection: AnyProjection<View>, ids: readonly string[]) {
    this.reads++;
    return super.getMany(projection, ids);
  }

  override list<View>(projection: AnyProjection<View>, options: ListOptions<View>) {
    this.reads++;
    return super.list(projection, options);
  }

  override watch<View>(projection: AnyProjection<View>, id: string) {
    this.reads++;
    return super.watch(projection, id);
  }
}

type GraphQLResponse = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

let live: LiveApi;
let readModels: CountingReadModels;

beforeAll(async () => {
  live = await startLiveApi({
    readModelsOf: (db: Firestore) => (readModels = new CountingReadModels(db)),
  });
  await live.writeProduct(productView('sku-french-press', { name: 'French Press, 1 L' }));
});
afterAll(() => live.stop());
beforeEach(() => {
  readModels.reads = 0;
});

async function post(query: string, variables: Record<string, unknown> = {}, operationName?: string): Promise<{ status: number; body: GraphQLResponse }> {
  const response = await fetch(live.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

const codes = (body: GraphQLResponse) => (body.errors ?? []).map((e) => e.extensions?.code);

/** Sends one operation on an open graphql-ws connection and waits for its first answer. */
async function overWebSocket(ws: RawWs, query: string, variables: Record<string, unknown> = {}) {
  const id = randomUUID();
  ws.subscribe(id, query, variables);
  return ws.waitFor((m) => m.id === id && (m.type === 'error' || m.type === 'next'));
}

describe('the two queries that took the API down', () => {
  it('are refused over HTTP with a stable code, before any view is read', async () => {
    const deep = await post(EIGHT_DEEP);
    expect(deep.body.data).toBeUndefined();
    expect(codes(deep.body)).toEqual(['QUERY.TOO_DEEP']);
    expect(deep.body.errors![0]!.message).toBe(`Query depth limit of ${DEFAULT_API_LIMITS.query.maxDepth} exceeded, found 18.`);

    const aliases = await post(TWO_THOUSAND_ALIASES);
    expect(aliases.body.data).toBeUndefined();
    // Counted while parsing: the parser stops at the 1,001st token, long before the 2,000th alias.
    expect(codes(aliases.body)).toEqual(['QUERY.TOO_MANY_TOKENS']);
    expect(aliases.body.errors![0]!.message).toBe(`Token limit of ${DEFAULT_API_LIMITS.query.maxTokens} exceeded.`);

    expect(readModels.reads).toBe(0);
  });

  it('are refused over WebSocket with the same codes, and the connection stays open', async () => {
    const ws = await openWs(live.wsUrl);
    try {
      const deep = await overWebSocket(ws, EIGHT_DEEP);
      expect(deep.type).toBe('error');
      expect((deep.payload as GraphQLResponse['errors'])!.map((e) => e.extensions?.code)).toEqual(['QUERY.TOO_DEEP']);

      const aliases = await overWebSocket(ws, TWO_THOUSAND_ALIASES);
      expect(aliases.type).toBe('error');
      expect((aliases.payload as GraphQLResponse['errors'])!.map((e) => e.extensions?.code)).toEqual(['QUERY.TOO_MANY_TOKENS']);

      expect(readModels.reads).toBe(0);
      // The same connection still answers an ordinary operation.
      const fine = await overWebSocket(ws, '{ product(productId: "sku-french-press") { name } }');
      expect(fine).toMatchObject({ type: 'next', payload: { data: { product: { name: 'French Press, 1 L' } } } });
    } finally {
      ws.socket.close();
    }
  });

  it('leave the API answering, with a bounded heap, after a burst of them', { timeout: 60_000 }, async () => {
    const gc = exposeGc();
    // Every document different, so that no cache answers for the parser: each one is read up to its limit.
    const hostile = (n: number) => (n % 2 === 0 ? `${EIGHT_DEEP} # ${n}` : `${TWO_THOUSAND_ALIASES} # ${n}`);
    const burst = async (from: number, count: number) => {
      for (let n = from; n < from + count; n += 10) {
        const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(hostile(n + i))));
        for (const { body } of answers) expect(body.errors?.length).toBeGreaterThan(0);
      }
    };
    await burst(0, 50); // warm-up: JIT, sockets, caches grown to their size
    const before = await settledHeap(gc);
    await burst(50, 400);
    const after = await settledHeap(gc);
    expect(readModels.reads).toBe(0);
    // 200 of the 400 documents are 84 KB each (17 MB in all) and would stay if the parser's caches kept them
    // all; what may remain is the bounded caches' worth. Generous bound.
    expect((after - before) / 2 ** 20).toBeLessThan(12);

    const fine = await post('{ product(productId: "sku-french-press") { name } }');
    expect(fine.body).toEqual({ data: { product: { name: 'French Press, 1 L' } } });
  });
});

describe('each limit on its own', () => {
  it('refuses deeper queries than the limit', async () => {
    // product → (boughtTogether → product) × 5 → name: 12 levels, priced low (limit: 1).
    const { body } = await post(`{ product(productId: "sku-french-press") { ${nest(5, 1, 'name')} } }`);
    expect(codes(body)).toEqual(['QUERY.TOO_DEEP']);
    expect(readModels.reads).toBe(0);
  });

  it('refuses more aliases than the limit', async () => {
    const max = DEFAULT_API_LIMITS.query.maxAliases;
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: product(productId: "sku-french-press") { name }`).join(' ')} }`;
    const { body } = await post(aliased(max + 1));
    expect(codes(body)).toEqual(['QUERY.TOO_MANY_ALIASES']);
    expect(body.errors![0]!.message).toBe(`Aliases limit of ${max} exceeded, found ${max + 1}.`);
    expect(readModels.reads).toBe(0);
    expect((await post(aliased(max))).body.errors).toBeUndefined();
  });

  it('refuses more tokens than the limit', async () => {
    // Five tokens an operation (`query`, its name, `{`, `__typename`, `}`): a document of many operations,
    // one of which runs, is long in tokens and nothing else.
    const operations = (n: number) => Array.from({ length: n }, (_, i) => `query Q${i} { __typename }`).join(' ');
    const max = DEFAULT_API_LIMITS.query.maxTokens;
    expect(codes((await post(operations(max / 5 + 1), {}, 'Q0')).body)).toEqual(['QUERY.TOO_MANY_TOKENS']);
    expect((await post(operations(max / 5), {}, 'Q0')).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses more directives than the limit', async () => {
    const max = DEFAULT_API_LIMITS.query.maxDirectives;
    const directives = (n: number) => `{ ${'__typename @include(if: true) '.repeat(n)}}`;
    expect(codes((await post(directives(max + 1))).body)).toEqual(['QUERY.TOO_MANY_DIRECTIVES']);
    expect((await post(directives(max))).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a query whose lists multiply past the budget, however shallow', async () => {
    // Ten levels, within the depth limit: 20 × 20 × 20 × 20 products.
    const { body } = await post(`{ product(productId: "sku-french-press") { ${nest(4, 20, 'name')} } }`);
    expect(codes(body)).toEqual(['QUERY.TOO_COMPLEX']);
    expect(body.errors![0]!.message).toMatch(/^The query costs 336842, more than the 20000 allowed/);
    expect(body.errors![0]!.extensions).toMatchObject({ cost: 336_842, maxCost: DEFAULT_API_LIMITS.query.maxCost });
    expect(readModels.reads).toBe(0);
  });

  it("refuses a size beyond its argument's maximum before anything runs", async () => {
    const { body } = await post('{ product(productId: "sku-french-press") { boughtTogether(limit: 21) { count } } }');
    expect(body.data).toBeUndefined();
    expect(body.errors![0]!.message).toMatch(/limit/);
    expect(readModels.reads).toBe(0);
    const orders = await post('{ customer(customerId: "c-1") { orders(first: 101) { edges { cursor } } } }');
    expect(orders.body.data).toBeUndefined();
    expect(orders.body.errors![0]!.message).toMatch(/first/);
    expect(readModels.reads).toBe(0);
  });

  it('prices a document by its variables, request by request', async () => {
    const query = /* GraphQL */ `
      query ($first: Int) {
        products(first: $first) { edges { node { boughtTogether(limit: 20) { product { boughtTogether(limit: 20) { count } } } } } }
      }
    `;
    expect((await post(query, { first: 5 })).body.errors).toBeUndefined();
    // The same document again, asking for a hundred products: 1 + 100 × 443.
    expect(codes((await post(query, { first: 100 })).body)).toEqual(['QUERY.TOO_COMPLEX']);
    expect((await post(query, { first: 5 })).body.errors).toBeUndefined();
  });

  it('lets what the dashboard sends through', async () => {
    const products = await post(DASHBOARD_PRODUCTS, { after: null });
    expect(products.body.errors).toBeUndefined();
    expect(products.body.data).toMatchObject({ products: { edges: [{ node: { id: 'sku-french-press' } }] } });

    // The dashboard signs in as staff: the sales figures are the operators'.
    const ws = await openWs(live.wsUrl, { connectionParams: await connectionAs(asStaff('operator')) });
    try {
      const sales = await overWebSocket(ws, DASHBOARD_SALES);
      expect(sales).toMatchObject({ type: 'next', payload: { data: { salesDashboard: { days: expect.any(Array) } } } });
    } finally {
      ws.socket.close();
    }
  });
});

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap in use after full collections. */
async function settledHeap(gc: () => void): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return getHeapStatistics().used_heap_size;
}
