/**
 * (h) What the abuse limits cost a normal request, and how fast they refuse the queries that took the API down.
 *
 * The dashboard's catalog query (`products(first: 100)`, as dashboard/src/inventoryPanel.ts sends it, over 100
 * products in the Firestore emulator) against two APIs in this process, through `api.fetch` (no socket): one
 * built by createApi with its limits, and yoga with the same schema, context and plugins but none of the
 * limits (and yoga's caches as they come). The sides alternate in blocks (ABBA). The same again with the
 * views served from memory (read once from Firestore), so that the API's own time is not lost in the
 * emulator's. Then the 8-deep boughtTogether query and 2,000 aliases of a year of the sales dashboard,
 * against the API with limits.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { createYoga } from 'graphql-yoga';
import { FirebaseTokenVerifier } from '../src/auth/firebaseTokenVerifier.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { ONE_CALLER_API } from './oneCaller.ts';
import { principalOfRequest } from '../src/graphql/authenticate.ts';
import type { ApiDeps, GraphQLContext } from '../src/graphql/context.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { schema } from '../src/graphql/schema/index.ts';
import { useDashboard } from '../src/graphql/serveDashboard.ts';
import { useSubscriptionErrors } from '../src/graphql/subscriptionErrors.ts';
import { ViewLoaders } from '../src/graphql/viewLoaders.ts';
import { createLogger } from '../src/logger.ts';
import { evolveInventoryCount, inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import { envelope } from '../test/support/envelopes.ts';
import { AUTH_PROJECT_ID } from '../test/support/identities.ts';
import { productAdded } from '../test/support/shopFixtures.ts';
import { fixed, markdownTable, ratio } from './markdown.ts';
import { startPhase } from './progress.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';
import { viewsOf } from '../src/firestore/readModelLayout.ts';

export interface QueryLimitsPlan {
  /** Dashboard queries per side, after `warmup` each. */
  readonly requests: number;
  readonly warmup: number;
  /** Requests per side before the sides swap. */
  readonly block: number;
  /** Refusals timed per hostile query, after `warmup` each. */
  readonly hostile: number;
}

export const QUERY_LIMITS_PLANS: Record<'full' | 'quick', QueryLimitsPlan> = {
  full: { requests: 600, warmup: 50, block: 25, hostile: 300 },
  quick: { requests: 200, warmup: 30, block: 20, hostile: 100 },
};

export interface LimitsCost {
  readonly withLimits: LatencySummary;
  readonly withoutLimits: LatencySummary;
}

export interface QueryLimitsResult {
  readonly plan: QueryLimitsPlan;
  /** Views read from the Firestore emulator, and served from memory. */
  readonly firestore: LimitsCost;
  readonly memory: LimitsCost;
  readonly hostile: ReadonlyArray<{
    readonly name: string;
    readonly bytes: number;
    readonly code: string;
    readonly refusal: LatencySummary;
  }>;
}

const PRODUCTS = 100;
const DASHBOARD_PRODUCTS = /* GraphQL */ `
  query DashboardProducts($after: String) {
    products(first: 100, after: $after) { edges { node { id name status available onHand reserved lowStock lowStockThreshold } } pageInfo { hasNextPage endCursor } }
  }
`;
const EIGHT_DEEP = `query { product(productId: "bench-product-0") { ${nest(8, 'name')} } }`;
const TWO_THOUSAND_ALIASES = `query { ${Array.from({ length: 2_000 }, (_, i) => `a${i}:salesDashboard(days:365){days{date}}`).join(' ')} }`;

function nest(levels: number, innermost: string): string {
  let selection = innermost;
  for (let i = 0; i < levels; i++) selection = `boughtTogether(limit: 20) { product { ${selection} } }`;
  return selection;
}

type Fetcher = { fetch(url: string, init: RequestInit): Response | Promise<Response> };

export async function measureQueryLimits(db: Firestore, plan: QueryLimitsPlan): Promise<QueryLimitsResult> {
  const products = viewsOf(db, readModelCollectionName(inventoryCountProjection));
  const writer = db.batch();
  for (let i = 0; i < PRODUCTS; i++) {
    const id = `bench-product-${i}`;
    writer.set(products.doc(id), evolveInventoryCount(null, envelope(`product-${id}`, 1, productAdded(id, 1000 + i, 50))));
  }
  await writer.commit();

  const firestoreReads = new FirestoreReadModels(db);
  const views = await firestoreReads.list(inventoryCountProjection, { first: PRODUCTS + 1, after: null });
  const logger = createLogger({ level: 'error', name: 'bench-limits' });
  const pair = (readModels: FirestoreReadModels) => {
    const deps: ApiDeps = {
      store: new FirestoreEventStore(db),
      readModels,
      logger,
      clock: () => new Date(),
      newId: randomUUID,
      // The dashboard's catalog query is public: it is sent without a token, which is then never looked at.
      tokens: new FirebaseTokenVerifier({ projectId: AUTH_PROJECT_ID }),
    };
    const limited = createApi(deps, ONE_CALLER_API);
    // createApi's composition without any of the limits: the same schema, context and plugins.
    const unlimited = createYoga<Record<string, unknown>, GraphQLContext>({
      schema,
      graphqlEndpoint: '/graphql',
      graphiql: false,
      logging: false,
      maskedErrors: { isDev: false },
      plugins: [useSubscriptionErrors(logger), useDashboard(resolve('dashboard/dist'))],
      context: async ({ request }) => ({
        deps,
        correlationId: randomUUID(),
        principal: await principalOfRequest(deps.tokens, request),
        clientAddress: null,
        loaders: new ViewLoaders(readModels),
      }),
    });
    return { withLimits: limited as Fetcher, withoutLimits: unlimited as Fetcher };
  };
  const onFirestore = pair(firestoreReads);
  const inMemory = pair(new ViewsFromMemory(db, views));

  const firestore = await compare('views from Firestore', onFirestore, plan);
  const memory = await compare('views from memory', inMemory, plan);
  const limited = onFirestore.withLimits;

  const hostile = [];
  // The same document every time (answered from the caches of parsed and validated documents), and a
  // different one every time (a comment numbers them), as a client that wants to miss the caches sends.
  for (const [name, query, distinct] of [
    ['8-deep boughtTogether(limit: 20)', EIGHT_DEEP, false],
    ['… each one different', EIGHT_DEEP, true],
    ['2,000 aliases of salesDashboard(days: 365)', TWO_THOUSAND_ALIASES, false],
    ['… each one different', TWO_THOUSAND_ALIASES, true],
  ] as const) {
    const refusing = startPhase(`(h) limits: refusing ${name}`, plan.warmup + plan.hostile);
    const samples: number[] = [];
    let code = '';
    for (let i = 0; i < plan.warmup + plan.hostile; i++) {
      const { ms, body } = await timed(limited, distinct ? `${query} # ${i}` : query, {});
      code = String(body.errors?.[0]?.extensions?.code ?? 'NOT REFUSED');
      if (i >= plan.warmup) samples.push(ms);
      refusing.tick();
    }
    refusing.end();
    hostile.push({ name, bytes: Buffer.byteLength(JSON.stringify({ query })), code, refusal: summarizeLatencies(samples) });
  }

  return { plan, firestore, memory, hostile };
}

/** The catalog page the dashboard reads, served from memory: what the API does, without the emulator's time. */
class ViewsFromMemory extends FirestoreReadModels {
  constructor(
    db: Firestore,
    private readonly views: Awaited<ReturnType<FirestoreReadModels['list']>>,
  ) {
    super(db);
  }

  override async list<View>(): Promise<Array<{ id: string; view: View }>> {
    return this.views as Array<{ id: string; view: View }>;
  }
}

/** The dashboard query against both APIs of a pair, alternating in blocks (ABBA) after a warm-up. */
async function compare(label: string, apis: Record<'withLimits' | 'withoutLimits', Fetcher>, plan: QueryLimitsPlan): Promise<LimitsCost> {
  const sides = { withLimits: [] as number[], withoutLimits: [] as number[] };
  const warming = startPhase(`(h) limits, ${label}: warming up`, plan.warmup * 2);
  for (const side of ['withLimits', 'withoutLimits'] as const) {
    for (let i = 0; i < plan.warmup; i++) {
      await timed(apis[side], DASHBOARD_PRODUCTS, { after: null });
      warming.tick();
    }
  }
  warming.end();
  const phase = startPhase(`(h) limits, ${label}: with and without`, plan.requests * 2);
  const order = [
    ['withLimits', 'withoutLimits'],
    ['withoutLimits', 'withLimits'],
  ] as const;
  for (let done = 0, round = 0; done < plan.requests; round++) {
    const count = Math.min(plan.block, plan.requests - done);
    for (const side of order[round % 2]!) {
      for (let i = 0; i < count; i++) {
        sides[side].push((await timed(apis[side], DASHBOARD_PRODUCTS, { after: null })).ms);
        phase.tick();
      }
    }
    done += count;
  }
  phase.end();
  return { withLimits: summarizeLatencies(sides.withLimits), withoutLimits: summarizeLatencies(sides.withoutLimits) };
}

async function timed(api: Fetcher, query: string, variables: Record<string, unknown>) {
  const started = performance.now();
  const response = await api.fetch('http://api/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
  const ms = performance.now() - started;
  if (query === DASHBOARD_PRODUCTS && body.errors) throw new Error(`the dashboard query failed: ${JSON.stringify(body.errors)}`);
  return { ms, body };
}

export function renderQueryLimitsSection(result: QueryLimitsResult): string {
  const row = (label: string, s: LatencySummary) => [label, s.count, fixed(s.p50, 2), fixed(s.p95, 2), fixed(s.p99, 2)];
  const comparison = (label: string, { withLimits: on, withoutLimits: off }: LimitsCost) => [
    markdownTable([label, 'requests', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)'], [row('with limits', on), row('without limits', off)]),
    '',
    `With / without, p50: ${ratio(on.p50 / off.p50)} (${fixed(on.p50 - off.p50, 2)} ms); p95: ${ratio(on.p95 / off.p95)}.`,
    '',
  ];
  return [
    '## (h) Abuse limits: their cost on a normal query, and refusing the hostile ones',
    '',
    `The dashboard's catalog query (\`products(first: ${PRODUCTS})\`, eight fields a product) through \`api.fetch\` in this ` +
      'process: createApi with its limits (tokens, depth, aliases, directives, the price checked with the variables on ' +
      'every request; CSRF, CORS, body limit, rate limit) against the same schema, context and plugins on yoga without ' +
      `them. Sides alternate in blocks of ${result.plan.block} (ABBA), ${result.plan.warmup} warm-up requests each first. ` +
      "First with the views read from the Firestore emulator, then served from memory (the API's own time alone).",
    '',
    ...comparison('views from Firestore', result.firestore),
    ...comparison('views from memory', result.memory),
    markdownTable(
      ['hostile query', 'body', 'refused with', 'refusals', 'p50 (ms)', 'p99 (ms)', 'max (ms)'],
      result.hostile.map((h) => [
        h.name,
        `${fixed(h.bytes / 1024)} KiB`,
        h.code,
        h.refusal.count,
        fixed(h.refusal.p50, 2),
        fixed(h.refusal.p99, 2),
        fixed(h.refusal.max, 2),
      ]),
    ),
    '',
  ].join('\n');
}
