/**
 * Hostile clients against the API on a real port (HTTP and WebSocket) over the Firestore emulator: queries
 * built to exhaust it are refused, with a stable code, before any resolver runs (no view is read); the API
 * keeps answering, and its heap stays bounded, afterwards.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnyProjection } from '../src/core/projection.ts';
import type { ListOptions } from '../src/core/readModels.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { DEFAULT_API_LIMITS } from '../src/apiLimits.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { CSRF_HEADER } from '../src/graphql/crossOrigin.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { createLogger } from '../src/logger.ts';
import { testFirestore } from './support/firestore.ts';
import { productView, startLiveApi, type LiveApi } from './support/liveApi.ts';
import { asStaff, connectionAs, testTokens } from './support/identities.ts';
import { openSse, openWs, type RawWs } from './support/rawStreams.ts';
import WebSocket from 'ws';

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

async function post(
  query: string,
  variables: Record<string, unknown> = {},
  operationName?: string,
): Promise<{ status: number; body: GraphQLResponse }> {
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

  it('are refused over SSE alike, as a subscription would be', async () => {
    const deep = `subscription { productInventory(productId: "sku-french-press") { ${nest(8, 20, 'name')} } }`;
    const sse = openSse(live.httpUrl, deep);
    try {
      const event = await sse.waitFor((e) => e.event === 'next');
      expect((JSON.parse(event.data) as GraphQLResponse).errors?.map((e) => e.extensions?.code)).toEqual(['QUERY.TOO_DEEP']);
      await sse.ended;
    } finally {
      sse.close();
    }
    expect(readModels.reads).toBe(0);
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
    // What the caches may keep, and no more: 200 of the documents are 84 KB each (17 MB in all) and would stay
    // if the parser's caches kept them all; the other 200 are short and invalid, and yoga keeps each one's
    // validation result, which held about 70 KB of validation state with its error's stack (28 MB in all).
    // Measured now: about 6 MB, the short documents' syntax trees. Generous bound.
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
    const aliased = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `p${i}: product(productId: "sku-french-press") { name }`).join(' ')} }`;
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
    expect(body.errors).toEqual([
      { message: 'Validation error: limit: Too big: expected number to be <=20', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    ]);
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

describe('HTTP', () => {
  const MB5 = 5 * 2 ** 20;

  it('refuses a 5 MB body with 413, from its declared length', async () => {
    const response = await fetch(live.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(MB5)}` }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it('refuses a streamed 5 MB body with 413 once the limit is read, before the client has sent it all', async () => {
    // No Content-Length: the body is counted as it is read. The client stops sending when the answer comes.
    const { status, sent } = await streamBody(live.httpUrl, MB5);
    expect(status).toBe(413);
    expect(sent).toBeLessThan(MB5);
  });

  it('answers a CORS preflight from an allowed origin, and not one from another', async () => {
    const preflight = (origin: string) =>
      fetch(live.httpUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
    const allowed = await preflight('http://localhost:4000');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:4000');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    // A browser lets a page read the answer only if it names the page's own origin.
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  it('refuses what a page on another site could send without a preflight, unless it carries the CSRF header', async () => {
    const query = `${live.httpUrl}?query=${encodeURIComponent('{ __typename }')}`;
    const bare = await fetch(query);
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as GraphQLResponse).errors?.[0]?.message).toMatch(/CSRF/);
    const form = await fetch(live.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"{ __typename }"}',
    });
    expect(form.status).toBe(403);

    const withHeader = await fetch(query, { headers: { [CSRF_HEADER]: '1' } });
    expect(await withHeader.json()).toEqual({ data: { __typename: 'Query' } });
    expect(readModels.reads).toBe(0);
  });
});

describe('WebSocket', () => {
  /** Opens a socket as a browser on `origin` would (or a client that names none); resolves how the handshake went. */
  const handshake = (origin?: string) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(live.wsUrl, 'graphql-transport-ws', origin ? { origin } : {});
      socket.once('open', () => {
        resolve(101);
        socket.close();
      });
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', () => {});
    });

  it('refuses a handshake from a page on an origin not allowed, and takes the others', async () => {
    expect(await handshake('https://evil.example')).toBe(403);
    expect(await handshake('http://localhost:4000')).toBe(101);
    // The API's own origin: the dashboard it serves.
    expect(await handshake(new URL(live.httpUrl).origin)).toBe(101);
    // No Origin: not a browser, which CORS would not stop either.
    expect(await handshake()).toBe(101);
  });

  it('closes a socket that sends a message over the payload limit', async () => {
    const ws = await openWs(live.wsUrl);
    ws.subscribe('big', `{ __typename } # ${'x'.repeat(DEFAULT_API_LIMITS.webSocket.maxPayloadBytes)}`);
    expect(await ws.closed).toBe(1009);
    expect(readModels.reads).toBe(0);
  });

  it('refuses more operations on one connection than the limit, until one completes', async () => {
    const capped = await startLiveApi({
      webSocket: { limits: { ...DEFAULT_API_LIMITS, webSocket: { ...DEFAULT_API_LIMITS.webSocket, maxOperationsPerConnection: 3 } } },
    });
    const ws = await openWs(capped.wsUrl);
    try {
      const product = 'subscription ($id: ID!) { productInventory(productId: $id) { id } }';
      for (const id of ['1', '2', '3']) ws.subscribe(id, product, { id: `p-${id}` });
      await Promise.all(['1', '2', '3'].map((id) => ws.waitFor((m) => m.id === id && m.type === 'next')));
      ws.subscribe('4', product, { id: 'p-4' });
      const refused = await ws.waitFor((m) => m.id === '4');
      expect(refused.type).toBe('error');
      expect(refused.payload).toEqual([
        {
          message: 'At most 3 operations may run at once on one connection: complete one first.',
          extensions: { code: 'WEBSOCKET.TOO_MANY_OPERATIONS', maxOperations: 3 },
        },
      ]);
      // The connection stays; once one subscription completes, another may start.
      ws.socket.send(JSON.stringify({ id: '1', type: 'complete' }));
      await waitUntil(async () => {
        const id = randomUUID();
        ws.subscribe(id, product, { id: 'p-5' });
        return (await ws.waitFor((m) => m.id === id)).type === 'next';
      });
    } finally {
      ws.socket.close();
      await capped.stop();
    }
  });
});

describe('per caller', () => {
  // Behind one trusted proxy, so that tests can speak as several callers (X-Forwarded-For) from one machine.
  const limits = {
    ...DEFAULT_API_LIMITS,
    rateLimit: { max: 3, windowMs: 60_000 },
    webSocket: { ...DEFAULT_API_LIMITS.webSocket, maxConnectionsPerCaller: 2 },
    trustedProxyHops: 1,
  };
  let capped: LiveApi;
  beforeAll(async () => {
    capped = await startLiveApi({ api: { limits }, webSocket: { limits } });
  });
  afterAll(() => capped.stop());

  const postAs = async (address: string, query: string, headers: Record<string, string> = {}) => {
    const response = await fetch(capped.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address, ...headers },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as GraphQLResponse };
  };
  const PRODUCT = '{ product(productId: "p") { name } }';

  it('limits the calls of each root field per caller, aliases counted, and says when to come back', async () => {
    expect((await postAs('203.0.113.1', PRODUCT)).body.errors).toBeUndefined();
    // Two more calls in one request: a fourth would be over.
    const two = '{ a: product(productId: "p") { name } b: product(productId: "q") { name } }';
    expect((await postAs('203.0.113.1', two)).body.errors).toBeUndefined();
    const refused = await postAs('203.0.113.1', PRODUCT);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('60');
    expect(refused.body).toEqual({
      errors: [{ message: 'Too many calls to product: at most 3 every 60 s.', extensions: { code: 'RATE_LIMIT.EXCEEDED' } }],
    });
    // Another field, and another caller, have budgets of their own.
    expect((await postAs('203.0.113.1', '{ products(first: 1) { edges { cursor } } }')).body.errors).toBeUndefined();
    expect((await postAs('203.0.113.2', PRODUCT)).body.errors).toBeUndefined();
  });

  it('counts a signed-in caller by principal, from whichever address', async () => {
    const operator = await asStaff('operator');
    expect((await postAs('203.0.113.3', PRODUCT, operator)).body.errors).toBeUndefined();
    expect((await postAs('203.0.113.3', PRODUCT, operator)).body.errors).toBeUndefined();
    expect((await postAs('203.0.113.4', PRODUCT, operator)).body.errors).toBeUndefined();
    expect(codes((await postAs('203.0.113.4', PRODUCT, operator)).body)).toEqual(['RATE_LIMIT.EXCEEDED']);
    // Anonymous callers at those addresses are callers of their own.
    expect((await postAs('203.0.113.4', PRODUCT)).body.errors).toBeUndefined();
  });

  it('limits operations over WebSocket alike, answering with the error and keeping the connection', async () => {
    const ws = await openWs(capped.wsUrl);
    try {
      const query = '{ products(first: 1) { edges { cursor } } }';
      for (let i = 0; i < 3; i++) expect(await overWebSocket(ws, query)).toMatchObject({ type: 'next', payload: { data: {} } });
      const refused = await overWebSocket(ws, query);
      expect(refused).toMatchObject({ type: 'next', payload: { errors: [{ extensions: { code: 'RATE_LIMIT.EXCEEDED' } }] } });
      expect(ws.socket.readyState).toBe(WebSocket.OPEN);
    } finally {
      ws.socket.close();
    }
  });

  it("closes a caller's connection beyond the limit (1013), and takes one again when another has closed", async () => {
    const first = await connectAs(capped.wsUrl, '203.0.113.9');
    const second = await connectAs(capped.wsUrl, '203.0.113.9');
    const third = await connectAs(capped.wsUrl, '203.0.113.9');
    expect([first.outcome, second.outcome, third.outcome]).toEqual(['acknowledged', 'acknowledged', 1013]);
    // Another caller is not held back.
    const other = await connectAs(capped.wsUrl, '203.0.113.10');
    expect(other.outcome).toBe('acknowledged');

    first.socket.close();
    await new Promise((resolve) => first.socket.once('close', resolve));
    await waitUntil(async () => {
      const again = await connectAs(capped.wsUrl, '203.0.113.9');
      again.socket.close();
      return again.outcome === 'acknowledged';
    });
    second.socket.close();
    other.socket.close();
  });

  it("counts a signed-in caller's connections by principal, from whichever address", async () => {
    const operator = await connectionAs(asStaff('operator'));
    const opened = [];
    for (const address of ['203.0.113.11', '203.0.113.12', '203.0.113.13']) opened.push(await connectAs(capped.wsUrl, address, operator));
    expect(opened.map((c) => c.outcome)).toEqual(['acknowledged', 'acknowledged', 1013]);
    // Anonymous, from the third address: a caller of its own.
    const anonymous = await connectAs(capped.wsUrl, '203.0.113.13');
    expect(anonymous.outcome).toBe('acknowledged');
    for (const connection of [...opened, anonymous]) connection.socket.close();
  });
});

describe('production settings', () => {
  const db = testFirestore();
  afterAll(() => db.terminate());
  const apiWith = (introspection: boolean, readModels = new FirestoreReadModels(db)) =>
    createApi(
      {
        store: new FirestoreEventStore(db),
        readModels,
        logger: createLogger({ level: 'silent' }),
        clock: () => new Date(),
        newId: randomUUID,
        tokens: testTokens(),
      },
      { introspection },
    );
  const ask = async (api: ReturnType<typeof createApi>, query: string) => {
    const response = await api.fetch('http://api/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as GraphQLResponse;
  };

  it('refuse introspection and hide field suggestions; development allows both', async () => {
    const production = apiWith(false);
    expect(codes(await ask(production, '{ __schema { types { name } } }'))).toEqual(['QUERY.INTROSPECTION_DISABLED']);
    expect(codes(await ask(production, '{ __type(name: "Product") { fields { name } } }'))).toEqual(['QUERY.INTROSPECTION_DISABLED']);
    expect(await ask(production, '{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    const typo = await ask(production, '{ prodcts { edges { cursor } } }');
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);

    const development = apiWith(true);
    expect((await ask(development, '{ __schema { queryType { name } } }')).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect((await ask(development, '{ prodcts { edges { cursor } } }')).errors?.[0]?.message).toMatch(/Did you mean "products"/);
  });

  it('refuse introspection over WebSocket too', async () => {
    const ws = await openWs(live.wsUrl);
    try {
      const answer = await overWebSocket(ws, '{ __schema { types { name } } }');
      expect(answer.type).toBe('error');
      expect((answer.payload as GraphQLResponse['errors'])!.map((e) => e.extensions?.code)).toEqual(['QUERY.INTROSPECTION_DISABLED']);
    } finally {
      ws.socket.close();
    }
  });

  it('mask an unexpected error, even when NODE_ENV says development', async () => {
    class BrokenReadModels extends FirestoreReadModels {
      override async getMany<View>(): Promise<Array<View | null>> {
        throw new Error('connect ECONNREFUSED 10.0.0.7:8080 reading projects/eventloom-prod/databases/(default)');
      }
    }
    const api = apiWith(false, new BrokenReadModels(db));
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    try {
      const answer = await ask(api, '{ product(productId: "p-1") { name } }');
      expect(answer.errors).toEqual([
        {
          message: 'Unexpected error.',
          locations: [{ line: 1, column: 3 }],
          path: ['product'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ]);
      expect(JSON.stringify(answer)).not.toMatch(/ECONNREFUSED|eventloom-prod|stack/);
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  });
});

/** POSTs `total` bytes chunked, a piece at a time, until the server answers; says how much went out by then. */
function streamBody(url: string, total: number): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
      req.destroy();
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const piece = Buffer.alloc(16 * 1024, ' ');
    req.write('{"query":"{ __typename }","pad":"');
    const pump = () => {
      while (!answered && sent < total) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (!answered) req.end('"}');
    };
    pump();
  });
}

/** Opens a graphql-ws connection from `address` (X-Forwarded-For): acknowledged, or the close code it got instead. */
function connectAs(
  url: string,
  address: string,
  connectionParams: Record<string, unknown> = {},
): Promise<{ socket: WebSocket; outcome: 'acknowledged' | number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': address } });
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve({ socket, outcome: 'acknowledged' });
    });
    socket.once('close', (code) => resolve({ socket, outcome: code }));
  });
}

/** Retries `attempt` until it says yes (the server completes an operation a moment after the client asks). */
async function waitUntil(attempt: () => Promise<boolean>, tries = 20): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await attempt()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not after ${tries} tries`);
}

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
