/**
 * (p) Whether the read models keep up with a burst: orders placed through the API's command path by several
 * concurrent writers, through the real pipeline (outbox relay → Pub/Sub push → functions-framework
 * projectors, each on its own filtered subscription), and for every event each read model reads, the lag
 * from its commit (`recordedAt`, Firestore's timestamp) to the answer of the push that applied it to the read
 * model (see appliedFromAnswers).
 *
 * Beside it, the baseline: the writes themselves (orders/s and events/s committed, placeOrder latency), and
 * per projector where the time goes: from commit to the push arriving (the relay, Pub/Sub and the queue in
 * front of a projector that is pushed one or two messages at a time) and the handling time of a push.
 *
 * Each order buys two of PRODUCTS products, so the write side is not held back by one hot product stream.
 */
import type { QueryDocumentSnapshot } from '@google-cloud/firestore';
import { readsType, type AnyProjection } from '../src/core/projection.ts';
import { eventsInCommitOrder } from '../src/firestore/eventsInCommitOrder.ts';
import { asCustomer, asStaff } from '../test/support/identities.ts';
import { graphql, startPipeline, type PushDelivery } from '../test/support/pipeline.ts';
import { PLACE_ORDER } from '../test/support/orders.ts';
import { runPool } from './appendThroughput.ts';
import { fixed, markdownTable, whole } from './markdown.ts';
import { note, startPhase } from './progress.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';
import { ONE_CALLER_API } from './oneCaller.ts';
import type { OutboxDiscovery } from '../src/outbox/outboxRelay.ts';
import { describeRelayDiscovery, devRelayDiscovery } from './devRelay.ts';

export interface ProjectionLagPlan {
  readonly orders: number;
  readonly writers: number;
  readonly customers: number;
}

export const PROJECTION_LAG_PLANS: Record<'full' | 'quick', ProjectionLagPlan> = {
  full: { orders: 1_500, writers: 16, customers: 20 },
  quick: { orders: 300, writers: 16, customers: 10 },
};

export interface ReadModelLag {
  readonly readModel: string;
  readonly events: number;
  /** Of `events`, how many the read model had applied when the wait ended (all of them unless it timed out). */
  readonly applied: number;
  /** Event committed → its read-model commit, ms (the events applied). */
  readonly lag: LatencySummary;
  /** Last write of the burst → this read model has every event of it, ms; null: not within CATCH_UP_TIMEOUT_MS. */
  readonly caughtUpAfterMs: number | null;
  /** Event committed → its push reaching the projector, ms (the deliveries that applied something). */
  readonly pushArrival: LatencySummary;
  readonly deliveries: number;
  /** Deliveries of types this projection does not read (the emulator does not apply subscription filters). */
  readonly ignoredDeliveries: number;
  /** How long the projector took to answer a push of a type it reads, ms. */
  readonly handling: LatencySummary;
}

export interface ProjectionLagResult {
  readonly orders: number;
  readonly writers: number;
  readonly events: number;
  readonly burstSeconds: number;
  readonly placeOrder: LatencySummary;
  /** How the relay learned of the committed events. */
  readonly relay: OutboxDiscovery;
  readonly readModels: readonly ReadModelLag[];
}

const PRODUCTS = 40;
const CATCH_UP_TIMEOUT_MS = 15 * 60_000;
const SETUP_WRITERS = 8;

export async function measureProjectionLag(plan: ProjectionLagPlan): Promise<ProjectionLagResult> {
  const relay = devRelayDiscovery();
  const pipeline = await startPipeline({ api: ONE_CALLER_API, relayDiscovery: relay });
  const { projectors } = await import('../functions/projectors.ts');
  const readModels = Object.entries(projectors) as Array<[string, AnyProjection]>;
  try {
    const customerIds = customerIdsOf(plan);
    await setUp(pipeline, customerIds, '(p)', () => pipeline.deliveries().length);
    const applied = appliedFromAnswers(readModels, (functionName) => pipeline.deliveries(functionName));
    const burst = await placeBurst(pipeline, plan, customerIds, '(p)');
    const wanted = await waitForCatchUp(burst, readModels, applied, '(p)');
    return {
      orders: plan.orders,
      writers: plan.writers,
      events: burst.events.length,
      burstSeconds: burst.burstMs / 1000,
      placeOrder: summarizeLatencies(burst.placeOrderMs),
      relay,
      readModels: readModelLags(burst, wanted, readModels, applied, (functionName) => pipeline.deliveries(functionName)),
    };
  } finally {
    await pipeline.stop();
  }
}

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** An event of the burst, as committed. */
export interface BurstEvent {
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly eventId: string;
  readonly committedAt: number;
}

export interface Burst {
  readonly events: readonly BurstEvent[];
  readonly burstMs: number;
  readonly placeOrderMs: readonly number[];
  readonly lastWrite: number;
}

export const customerIdsOf = (plan: ProjectionLagPlan): string[] => Array.from({ length: plan.customers }, (_, i) => `lag-customer-${i}`);

/**
 * When each read model had applied an event, from the answers to its pushes. A push of a type the read model
 * reads, answered 2xx, means the projector's checkpoint of that stream had reached the pushed version (applied
 * then, or already, a duplicate): an event counts as applied at the earliest such answer for its stream at or
 * past its version, a gap fill included. The apply committed before that answer, by the rest of the handler
 * (summary refreshes, roll-ups) and the local HTTP hop back.
 *
 * Not a listener on the checkpoints: on the emulator, a listener on a collection that is being written runs
 * its query again and sends its whole result on each write, which cost the emulator 40 ms of CPU per checkpoint
 * write (measured, with a thousand checkpoints), so the projectors' commits waited on the bench's own
 * measurement. The answers cost the emulator nothing.
 */
export interface AppliedEvents {
  /** When the read model had applied `version` of the stream, or past it; undefined: not yet. */
  appliedAt(readModel: string, streamId: string, version: number): number | undefined;
}

export function appliedFromAnswers(
  readModels: ReadonlyArray<[string, AnyProjection]>,
  deliveriesOf: (functionName: string) => readonly PushDelivery[],
): AppliedEvents {
  // Per read model: the answers seen so far, each stream's as (version, answered at), and how many were read.
  const answers = new Map(
    readModels.map(([functionName, projection]) => [
      projection.name,
      { functionName, projection, read: 0, byStream: new Map<string, Array<{ version: number; at: number }>>() },
    ]),
  );
  const ingest = (readModel: string) => {
    const state = answers.get(readModel)!;
    const deliveries = deliveriesOf(state.functionName);
    for (const d of deliveries.slice(state.read)) {
      if (d.status >= 300 || d.streamId === undefined || d.version === undefined) continue;
      if (!readsType(state.projection, d.type)) continue;
      const list = state.byStream.get(d.streamId) ?? [];
      list.push({ version: d.version, at: d.receivedAt + d.durationMs });
      state.byStream.set(d.streamId, list);
    }
    state.read = deliveries.length;
    return state.byStream;
  };
  return {
    appliedAt: (readModel, streamId, version) => {
      const answered = (ingest(readModel).get(streamId) ?? []).filter((a) => a.version >= version);
      return answered.length === 0 ? undefined : Math.min(...answered.map((a) => a.at));
    },
  };
}

/** `plan.orders` orders through the API's command path by `plan.writers` concurrent writers, and their events. */
export async function placeBurst(
  pipeline: Pipeline,
  plan: ProjectionLagPlan,
  customerIds: readonly string[],
  label: string,
): Promise<Burst> {
  const burstStart = Date.now();
  const placeOrderMs: number[] = [];
  const orderIds = new Set<string>();
  const phase = startPhase(`${label} burst: ${plan.orders} orders, ${plan.writers} writers`, plan.orders);
  let n = 0;
  const burstMs = await runPool(
    plan.orders,
    plan.writers,
    async () => {
      const i = n++;
      const customerId = customerIds[i % customerIds.length]!;
      const startedAt = performance.now();
      const { data, errors } = await graphql<{ placeOrder: { __typename: string; orderId?: string } }>(
        pipeline.api,
        PLACE_ORDER,
        {
          input: {
            customerId,
            lines: [
              { productId: productId(i % PRODUCTS), quantity: 1 },
              {
                productId: productId((i * 7 + 3) % PRODUCTS === i % PRODUCTS ? (i + 1) % PRODUCTS : (i * 7 + 3) % PRODUCTS),
                quantity: 2,
              },
            ],
          },
        },
        await asCustomer(customerId),
      );
      if (data?.placeOrder.__typename !== 'PlaceOrderPayload') throw new Error(`placeOrder: ${JSON.stringify(errors ?? data)}`);
      orderIds.add(data.placeOrder.orderId!);
      placeOrderMs.push(performance.now() - startedAt);
    },
    phase.tick,
  );
  phase.end();

  // The burst's events, as committed: those of its orders (each names its order). A burst that follows another
  // within a second would otherwise take in the last events of the one before, which were delivered already.
  const events: BurstEvent[] = [];
  for await (const doc of eventsInCommitOrder(pipeline.db)) {
    const committedAt = (doc as QueryDocumentSnapshot).get('recordedAt').toMillis() as number;
    if (committedAt >= burstStart - 1_000 && orderIds.has(doc.get('data.orderId'))) {
      events.push({
        streamId: doc.get('streamId'),
        version: doc.get('version'),
        type: doc.get('type'),
        eventId: doc.get('eventId'),
        committedAt,
      });
    }
  }
  return { events, burstMs, placeOrderMs, lastWrite: Math.max(...events.map((e) => e.committedAt)) };
}

export interface WantedEvents {
  readonly projection: AnyProjection;
  readonly events: readonly BurstEvent[];
}

/** Waits until every read model has applied every event of the burst it reads (or CATCH_UP_TIMEOUT_MS passed). */
export async function waitForCatchUp(
  burst: Burst,
  readModels: ReadonlyArray<[string, AnyProjection]>,
  applied: AppliedEvents,
  label: string,
): Promise<WantedEvents[]> {
  const wanted = readModels.map(([, projection]) => ({
    projection,
    events: burst.events.filter((e) => readsType(projection, e.type)),
  }));
  const total = wanted.reduce((sum, w) => sum + w.events.length, 0);
  const catchUp = startPhase(`${label} waiting for every read model to catch up`, total);
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  let done = 0;
  for (;;) {
    const now = wanted.reduce(
      (sum, w) => sum + w.events.filter((e) => applied.appliedAt(w.projection.name, e.streamId, e.version) !== undefined).length,
      0,
    );
    catchUp.tick(now - done);
    done = now;
    if (done === total) break;
    if (Date.now() > deadline) {
      // Reported, not thrown: how far each read model got is the finding (the emulator's push rate, usually).
      note(`  the read models applied ${done} of ${total} events within ${CATCH_UP_TIMEOUT_MS / 60_000} min; reporting what they reached`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  catchUp.end();
  return wanted;
}

/** Each read model's lag and deliveries over the burst. */
export function readModelLags(
  burst: Burst,
  wanted: readonly WantedEvents[],
  readModels: ReadonlyArray<[string, AnyProjection]>,
  applied: AppliedEvents,
  deliveriesOf: (functionName: string) => readonly PushDelivery[],
): ReadModelLag[] {
  const committedAtById = new Map(burst.events.map((e) => [e.eventId, e.committedAt]));
  return wanted.map(({ projection, events }) => {
    const functionName = readModels.find(([, p]) => p === projection)![0];
    const appliedAts = events.map((e) => applied.appliedAt(projection.name, e.streamId, e.version));
    const lags = events.flatMap((e, i) => (appliedAts[i] === undefined ? [] : [appliedAts[i] - e.committedAt]));
    const deliveries = deliveriesOf(functionName).filter((d) => d.eventId !== undefined && committedAtById.has(d.eventId));
    const read = deliveries.filter((d) => readsType(projection, d.type));
    return {
      readModel: projection.name,
      events: events.length,
      applied: lags.length,
      lag: summarizeLatencies(lags),
      caughtUpAfterMs: lags.length === events.length ? Math.max(...(appliedAts as number[])) - burst.lastWrite : null,
      pushArrival: summarizeLatencies(read.map((d) => d.receivedAt - committedAtById.get(d.eventId!)!)),
      deliveries: deliveries.length,
      ignoredDeliveries: deliveries.length - read.length,
      handling: summarizeLatencies(read.map((d) => d.durationMs)),
    };
  });
}

const productId = (i: number) => `lag-product-${i}`;

/** The products and customers, through the API, then a wait until the projectors have nothing queued. */
export async function setUp(pipeline: Pipeline, customerIds: readonly string[], label: string, deliveries: () => number): Promise<void> {
  const phase = startPhase(`${label} adding products, registering customers`, PRODUCTS + customerIds.length);
  const staff = await asStaff('catalog');
  let registered = 0;
  for (let i = 0; i < PRODUCTS; i++) {
    const { data } = await graphql<{ addProduct: { __typename: string } }>(
      pipeline.api,
      /* GraphQL */ `mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename } }`,
      { input: { productId: productId(i), name: `Product ${i}`, priceCents: 500 + 100 * i, initialStock: 1_000_000 } },
      staff,
    );
    if (data?.addProduct.__typename !== 'ProductCommandPayload') throw new Error(`addProduct: ${JSON.stringify(data)}`);
    phase.tick();
  }
  // Customers are registered a few at a time: (q) registers hundreds, so that no customer's history is a hot document.
  await runPool(
    customerIds.length,
    SETUP_WRITERS,
    async () => {
      const customerId = customerIds[registered++]!;
      const { data } = await graphql<{ registerCustomer: { __typename: string } }>(
        pipeline.api,
        /* GraphQL */ `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename } }`,
        { input: { customerId, name: `Customer ${customerId}`, email: `${customerId}@example.com` } },
        await asCustomer(customerId),
      );
      if (data?.registerCustomer.__typename !== 'CustomerCommandPayload') throw new Error(`registerCustomer: ${JSON.stringify(data)}`);
    },
    phase.tick,
  );
  phase.end();
  // Quiet before the burst: the setup's deliveries must not queue in front of it.
  let quietSince = Date.now();
  let seen = deliveries();
  while (Date.now() - quietSince < 2_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (deliveries() !== seen) {
      seen = deliveries();
      quietSince = Date.now();
    }
  }
}

export function renderProjectionLagSection(result: ProjectionLagResult): string {
  const ms = (value: number) => whole(value);
  return [
    '## (p) Projection lag during a burst of orders',
    '',
    `${whole(result.orders)} orders placed through the API's command path by ${result.writers} concurrent writers in ` +
      `${fixed(result.burstSeconds, 1)} s (${whole(result.orders / result.burstSeconds)} orders/s, ` +
      `${whole(result.events / result.burstSeconds)} events/s committed; placeOrder p50 ${ms(result.placeOrder.p50)} ms, ` +
      `p99 ${ms(result.placeOrder.p99)} ms): the baseline the read models are measured against. Lag: an event's commit to ` +
      "the answer of the push that applied it to the read model (its commit comes first). Caught up: the burst's last commit " +
      `to the read model's last such answer. Goal: within 2 s. ${describeRelayDiscovery(result.relay)}`,
    '',
    markdownTable(
      [
        'read model',
        'events',
        'lag p50 (ms)',
        'p99',
        'max',
        'caught up after (ms)',
        'push arrival p50 / p99 (ms)',
        'handling p50 / p99 (ms)',
        'pushes (ignored types)',
      ],
      result.readModels.map((r) => [
        r.readModel,
        r.applied === r.events ? whole(r.events) : `${whole(r.applied)} of ${whole(r.events)} applied`,
        ms(r.lag.p50),
        ms(r.lag.p99),
        ms(r.lag.max),
        r.caughtUpAfterMs === null ? `not within ${CATCH_UP_TIMEOUT_MS / 60_000} min` : ms(r.caughtUpAfterMs),
        `${ms(r.pushArrival.p50)} / ${ms(r.pushArrival.p99)}`,
        `${fixed(r.handling.p50, 0)} / ${fixed(r.handling.p99, 0)}`,
        `${whole(r.deliveries)} (${whole(r.ignoredDeliveries)})`,
      ]),
    ),
    '',
    'Push arrival: commit → the push reaching the projector (relay, Pub/Sub, and the queue in front of a subscription the ' +
      'emulator pushes one or two at a time). Handling: the projector answering a push of a type it reads. The Pub/Sub ' +
      'emulator stores subscription filters but does not apply them, so projectors are also pushed the types they ignore ' +
      '(answered without Firestore I/O); in the cloud the filter keeps those away.',
    '',
  ].join('\n');
}
