/**
 * (d) The ceiling of "no overselling": orders per second that succeed on ONE product.
 *
 * placeOrder appends the order and a StockReserved on each of its products in one atomic commit, with the
 * version of each stream it read. A product's stock is split over buckets (DEFAULT_STOCK_BUCKETS streams),
 * and each order starts at another bucket, so concurrent orders of one product rarely race for one stream's
 * next version; when they do, the loser is decided again from fresh state (runCommand: jittered retries, at
 * most DEFAULT_MAX_ATTEMPTS). Two baselines at the same concurrency, same run: each worker orders a product of
 * its own (distinct products: no two orders in flight share a stream; the goal is one product ≥ 0.5× this),
 * and one product whose stock is one bucket (every order races for one stream, as before buckets).
 *
 * Orders go through the API in-process (`createApi` + `api.fetch`, no socket: an HTTP hop would add the
 * same cost to both sides and only noise to the ratio), with the event store (VersionedEventStore over
 * Firestore) and the snapshots as `src/main.ts` wires them. Attempts are counted by wrapping the event store:
 * every `appendToStreams` is one commit attempt. Nothing else appends during a block, so its count is its own.
 * Signed in, as `src/main.ts` authenticates: catalog staff add the products, the customer places the orders,
 * each with their Auth-emulator ID token, verified by FirebaseTokenVerifier on every request (in emulator
 * mode a revocation round trip each, the same on both sides; (g) measures what verification costs).
 *
 * Every block uses fresh products with enough stock that none is refused, so each side starts from an empty
 * stream (a hot product's state and snapshot grow with its reservations: that is part of what is measured,
 * but only within a block). The sides alternate in ABBA order so a drift of the machine's load hits both.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type {
  AppendOptions,
  AppendResult,
  EventEnvelope,
  EventStore,
  IdempotencyRecord,
  ReadStreamOptions,
  StreamAppend,
} from '../src/core/eventStore.ts';
import { VersionedEventStore } from '../src/core/versionedEventStore.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { FirestoreSnapshotStore } from '../src/firestore/firestoreSnapshotStore.ts';
import { createApi, type Api } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { asCustomer, asStaff, testTokens } from '../test/support/identities.ts';
import { PLACE_ORDER, setUpShop } from '../test/support/orders.ts';
import { runPool } from './appendThroughput.ts';
import { startPhase } from './progress.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';
import { ONE_CALLER_API } from './oneCaller.ts';

export interface HotProductPlan {
  /** Orders per side at each concurrency. */
  readonly levels: ReadonlyArray<{ concurrency: number; orders: number }>;
  /** How many alternating blocks each side's orders are split into. */
  readonly blocks: number;
}

export const SIDES = ['one product', 'distinct products', 'one product, one bucket'] as const;
export type Side = (typeof SIDES)[number];
const [HOT, SPREAD, ONE_STREAM] = SIDES;

export interface SideResult {
  readonly orders: number;
  readonly succeeded: number;
  /** Succeeded orders over the side's total wall time. */
  readonly ordersPerSecond: number;
  /** Commit attempts (appendToStreams calls) per order. */
  readonly attemptsPerOrder: number;
  /** Orders that did not succeed, by result type and code (e.g. retries ran out: ConcurrencyConflict). */
  readonly failures: ReadonlyMap<string, number>;
  /** Each order: request → response. */
  readonly latency: LatencySummary;
}

export interface HotProductResult {
  readonly concurrency: number;
  readonly sides: Readonly<Record<Side, SideResult>>;
}

/** No block sells out: each order takes one unit. */
const STOCK = 1_000_000;

export async function measureHotProduct(db: Firestore, plan: HotProductPlan): Promise<HotProductResult[]> {
  const store = new CountingEventStore(new VersionedEventStore(new FirestoreEventStore(db), shopEvents));
  const api = createApi(
    {
      store,
      snapshots: new FirestoreSnapshotStore(db),
      readModels: new FirestoreReadModels(db),
      logger: createLogger({ level: 'silent' }),
      clock: () => new Date(),
      newId: randomUUID,
      tokens: testTokens(),
    },
    ONE_CALLER_API,
  );
  const customerId = `bench-buyer-${randomUUID().slice(0, 8)}`;
  await setUpShop(api, [customerId]);
  // Products are added by catalog staff, orders placed by the customer, each with their own ID token.
  const callers: Callers = { customerId, customer: await asCustomer(customerId), catalog: await asStaff('catalog') };

  const results: HotProductResult[] = [];
  for (const { concurrency, orders } of plan.levels) {
    const perBlock = Math.ceil(orders / plan.blocks);
    // Both sides' paths run before anything counts: the uncontended path a few times per worker, then a
    // contended round (lost races and retries) on one product. More contenders there would only cost time.
    const warmUp = { [SPREAD]: Math.max(20, concurrency * 2), [HOT]: Math.min(concurrency, 8), [ONE_STREAM]: Math.min(concurrency, 8) };
    const phase = startPhase(
      `(d) orders, concurrency ${concurrency}`,
      warmUp[SPREAD] + warmUp[HOT] + warmUp[ONE_STREAM] + SIDES.length * perBlock * plan.blocks,
    );
    for (const side of [SPREAD, HOT, ONE_STREAM]) await runSide(api, store, callers, side, warmUp[side], concurrency, phase.tick);

    const tallies = { [HOT]: newTally(), [SPREAD]: newTally(), [ONE_STREAM]: newTally() } satisfies Record<Side, Tally>;
    for (let block = 0; block < plan.blocks; block++) {
      const order: Side[] = block % 2 === 0 ? [HOT, SPREAD, ONE_STREAM] : [ONE_STREAM, SPREAD, HOT];
      for (const side of order) addTo(tallies[side], await runSide(api, store, callers, side, perBlock, concurrency, phase.tick));
    }
    phase.end();
    results.push({
      concurrency,
      sides: { [HOT]: summarize(tallies[HOT]), [SPREAD]: summarize(tallies[SPREAD]), [ONE_STREAM]: summarize(tallies[ONE_STREAM]) },
    });
  }
  return results;
}

/** Who sends what: `Authorization` headers per caller. */
interface Callers {
  readonly customerId: string;
  readonly customer: Record<string, string>;
  readonly catalog: Record<string, string>;
}

interface Tally {
  orders: number;
  succeeded: number;
  wallMs: number;
  attempts: number;
  readonly failures: Map<string, number>;
  readonly latencyMs: number[];
}

const newTally = (): Tally => ({ orders: 0, succeeded: 0, wallMs: 0, attempts: 0, failures: new Map(), latencyMs: [] });

function addTo(total: Tally, block: Tally): void {
  total.orders += block.orders;
  total.succeeded += block.succeeded;
  total.wallMs += block.wallMs;
  total.attempts += block.attempts;
  for (const [failure, count] of block.failures) total.failures.set(failure, (total.failures.get(failure) ?? 0) + count);
  total.latencyMs.push(...block.latencyMs);
}

function summarize(tally: Tally): SideResult {
  return {
    orders: tally.orders,
    succeeded: tally.succeeded,
    ordersPerSecond: tally.succeeded / (tally.wallMs / 1000),
    attemptsPerOrder: tally.attempts / tally.orders,
    failures: tally.failures,
    latency: summarizeLatencies(tally.latencyMs),
  };
}

/** `count` orders at `concurrency` on fresh products: all on one (split over buckets, or one bucket), or one per worker. */
async function runSide(
  api: Api,
  store: CountingEventStore,
  callers: Callers,
  side: Side,
  count: number,
  concurrency: number,
  onDone: () => void,
): Promise<Tally> {
  const prefix = `bench-${side === SPREAD ? 'spread' : 'hot'}-${randomUUID().slice(0, 8)}`;
  const productIds = Array.from({ length: side === SPREAD ? concurrency : 1 }, (_, i) => `${prefix}-${i}`);
  // Distinct products keep the default buckets too: each has one buyer, so that costs them nothing.
  for (const productId of productIds) await addProduct(api, callers.catalog, productId, side === ONE_STREAM ? 1 : null);

  const tally = newTally();
  const attemptsBefore = store.attempts;
  tally.wallMs = await runPool(
    count,
    concurrency,
    async (worker) => {
      const productId = productIds[side === SPREAD ? worker : 0]!;
      const startedAt = performance.now();
      const outcome = await placeOrder(api, callers, productId);
      tally.latencyMs.push(performance.now() - startedAt);
      tally.orders++;
      if (outcome === 'succeeded') tally.succeeded++;
      else tally.failures.set(outcome, (tally.failures.get(outcome) ?? 0) + 1);
    },
    onDone,
  );
  tally.attempts = store.attempts - attemptsBefore;
  return tally;
}

const ADD_PRODUCT = /* GraphQL */ `
  mutation AddProduct($input: AddProductInput!) {
    addProduct(input: $input) { __typename ... on Error { code message } }
  }
`;

/** `stockBuckets` null: the default (DEFAULT_STOCK_BUCKETS). */
async function addProduct(api: Api, headers: Record<string, string>, productId: string, stockBuckets: number | null): Promise<void> {
  const input = { productId, name: `Bench ${productId}`, priceCents: 1000, initialStock: STOCK, stockBuckets };
  const body = await post(api, ADD_PRODUCT, { input }, headers);
  const result = body.data?.addProduct;
  if (result?.__typename !== 'ProductCommandPayload') throw new Error(`addProduct ${productId}: ${JSON.stringify(body)}`);
}

/**
 * One order of one unit. A typed error result (retries ran out, stock refused) is an outcome to count, not
 * a reason to stop; an untyped GraphQL error means something is broken, and stops the run.
 */
async function placeOrder(api: Api, callers: Callers, productId: string): Promise<string> {
  const input = { customerId: callers.customerId, lines: [{ productId, quantity: 1 }] };
  const body = await post(api, PLACE_ORDER, { input }, callers.customer);
  const result = body.data?.placeOrder;
  if (!result) throw new Error(`placeOrder: ${JSON.stringify(body)}`);
  if (result.__typename === 'PlaceOrderPayload') return 'succeeded';
  return `${result.__typename}${typeof result.code === 'string' ? ` (${result.code})` : ''}`;
}

type GraphQLBody = { data?: Record<string, { __typename: string; code?: unknown } | undefined>; errors?: unknown };

async function post(api: Api, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<GraphQLBody> {
  const response = await api.fetch('http://api/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLBody;
}

/** The event store, counting commit attempts (won or lost). */
class CountingEventStore implements EventStore {
  attempts = 0;

  constructor(private readonly inner: EventStore) {}

  appendToStreams(appends: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult> {
    this.attempts++;
    return this.inner.appendToStreams(appends, options);
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<EventEnvelope[]> {
    return this.inner.readStream(streamId, options);
  }

  findIdempotencyRecord(key: string): Promise<IdempotencyRecord | null> {
    return this.inner.findIdempotencyRecord(key);
  }
}
