/**
 * (c) How long a placed order takes to reach a customer's live view, against the one hop of it that no
 * design can remove: a Firestore write reaching a listener.
 *
 * End to end: POST placeOrder to the API → event + outbox commit → relay → Pub/Sub → push → projector
 * function → read-model document → the API's Firestore listener → graphql-ws subscription frame. Measured
 * from just before the POST to the moment the frame carrying the order is parsed by the client.
 *
 * Each order goes to its own customer, registered (and its registration projected) before measuring starts,
 * signed in as a customer is: the POST carries their ID token, and their subscription runs on a graphql-ws
 * connection of their own, opened with that token (verified when it opens, revocation included) and its
 * initial result received before the POST, so neither the connection nor its verification is timed. With one shared customer
 * the read-model document would grow by an order per sample, so late samples would cost more than early ones,
 * and a slow delivery could be mistaken for the next order's. Orders are placed one at a time: the Pub/Sub emulator keeps only one or two pushes in
 * flight per subscription, so concurrent orders would measure queueing at the projector, not latency.
 *
 * PlaceOrder reserves stock on every product it names, and all orders here buy the same two products, so those
 * streams grow by one event per order. Product snapshots are meant to keep loading them cheap however long they
 * get; the result compares the first and last quarter of the samples to show whether they do.
 *
 * The raw baseline follows the same steps on bare Firestore: open a listener on a fresh document, wait for
 * its initial (absent) snapshot, write the document from a second client (as the projector writes with its
 * own), time until the listener sees it. Baseline and end-to-end samples alternate so both see the same load.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { startPipeline, type Pipeline } from '../test/support/pipeline.ts';
import { asCustomer } from '../test/support/identities.ts';
import { CUSTOMER_ORDERS_SUBSCRIPTION, orderInput, PLACE_ORDER, setUpShop } from '../test/support/orders.ts';
import { startPhase } from './progress.ts';
import { median, summarizeLatencies, type LatencySummary } from './stats.ts';
import { ONE_CALLER_API } from './oneCaller.ts';
import type { OutboxDiscovery } from '../src/outbox/outboxRelay.ts';
import { devRelayDiscovery } from './devRelay.ts';

export interface EndToEndPlan {
  readonly orders: number;
  /** Samples of each kind taken first and thrown away: cold paths (first push, first listener) are not latency. */
  readonly warmup: number;
}

export interface EndToEndResult {
  /** placeOrder POST → subscription frame with the order. */
  readonly endToEnd: LatencySummary;
  /** placeOrder POST → HTTP response: the synchronous part of the above. */
  readonly placeOrder: LatencySummary;
  /** How the relay learned of the committed events. */
  readonly relay: OutboxDiscovery;
  /** Firestore write → onSnapshot callback. */
  readonly raw: LatencySummary;
  /** p50s over the first and the last quarter of the samples, in the order they were taken. */
  readonly drift: {
    readonly endToEnd: readonly [first: number, last: number];
    readonly placeOrder: readonly [first: number, last: number];
    readonly raw: readonly [first: number, last: number];
  };
}

/** How long one sample may take before the run is declared broken rather than slow. */
const SAMPLE_TIMEOUT_MS = 20_000;
/** Enough stock that no run sells out: every order takes two kettles and a mug. */
const STOCK = 1_000_000;
const PROBES = 'benchLatencyProbes';

/**
 * Only what the bench relies on. The query is the tests' own (test/support/orders.ts), so it follows schema
 * changes; `orders` is read by `orderIdsOf`, which knows the shapes it has had.
 */
type CustomerOrders = { customerOrders: { orders: unknown } | null };

/**
 * The order ids in a frame's `orders`: a Relay connection (`edges[].node.orderId`, the current schema) or,
 * as it once was, a plain list of orders. Null for any other shape, so a schema change fails the run with
 * the frame in the message instead of timing out or matching an id by accident.
 */
function orderIdsOf(orders: unknown): string[] | null {
  const edges = (orders as { edges?: unknown } | null)?.edges;
  const nodes = Array.isArray(edges) ? edges.map((edge) => (edge as { node?: unknown } | null)?.node) : orders;
  if (!Array.isArray(nodes)) return null;
  const ids = nodes.map((node) => (node as { orderId?: unknown } | null)?.orderId);
  return ids.every((id): id is string => typeof id === 'string') ? ids : null;
}

export async function measureEndToEndLatency(plan: EndToEndPlan): Promise<EndToEndResult> {
  const relay = devRelayDiscovery();
  const pipeline = await startPipeline({ api: ONE_CALLER_API, relayDiscovery: relay });
  // The projector writes with a client of its own; so does the baseline's writer.
  const writer = createFirestore(pipeline.projectId);
  try {
    const total = plan.warmup + plan.orders;
    const customerIds = Array.from({ length: total }, () => `bench-${randomUUID()}`);
    await setUpCustomers(pipeline, customerIds);

    const placeOrderMs: number[] = [];
    const endToEndMs: number[] = [];
    const rawMs: number[] = [];
    const phase = startPhase(`(c) end-to-end latency (${plan.warmup} warm-up)`, total);
    for (const [i, customerId] of customerIds.entries()) {
      const raw = await probeListenerLatency(writer, pipeline.db);
      const order = await placeOrderAndWait(pipeline, customerId);
      if (i >= plan.warmup) {
        rawMs.push(raw);
        endToEndMs.push(order.endToEndMs);
        placeOrderMs.push(order.placeOrderMs);
      }
      phase.tick();
    }
    phase.end();
    return {
      endToEnd: summarizeLatencies(endToEndMs),
      placeOrder: summarizeLatencies(placeOrderMs),
      relay,
      raw: summarizeLatencies(rawMs),
      drift: { endToEnd: quarterMedians(endToEndMs), placeOrder: quarterMedians(placeOrderMs), raw: quarterMedians(rawMs) },
    };
  } finally {
    await writer.terminate();
    await pipeline.stop();
  }
}

/**
 * Puts the products in the catalog and registers every customer through the API, then waits until the
 * projector has caught up with all the registrations: the Pub/Sub emulator pushes one or two messages at a
 * time, so a backlog left now would queue in front of the first measured orders.
 */
export async function setUpCustomers(pipeline: Pipeline, customerIds: readonly string[]): Promise<void> {
  const phase = startPhase('(c) registering customers, projecting them', 2 * customerIds.length);
  await setUpShop(pipeline.api, [...customerIds], STOCK);
  phase.tick(customerIds.length);
  let projected = 0;
  const deadline = Date.now() + 60_000;
  for (const customerId of customerIds) {
    while (!(await pipeline.readModels.get(customerOrderHistoryProjection, customerId))?.name) {
      if (Date.now() > deadline) throw new Error(`only ${projected} of ${customerIds.length} registrations were projected within 60 s`);
      await sleep(50);
    }
    projected++;
    phase.tick();
  }
  phase.end();
}

export async function placeOrderAndWait(pipeline: Pipeline, customerId: string): Promise<{ endToEndMs: number; placeOrderMs: number }> {
  // The customer's token, from the sign-in setUpShop made for their registration.
  const signedIn = await asCustomer(customerId);
  const subscriptions = createClient({
    url: pipeline.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: signedIn.authorization },
  });
  const watch = watchCustomerOrders(subscriptions, customerId);
  try {
    await withTimeout(watch.initial, 'the subscription’s initial result');
    const startedAt = performance.now();
    const response = await fetch(pipeline.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedIn },
      body: JSON.stringify({ query: PLACE_ORDER, variables: { input: orderInput(customerId) } }),
    });
    const body = (await response.json()) as { data?: { placeOrder?: { __typename: string; orderId?: string } }; errors?: unknown };
    const respondedAt = performance.now();
    const placed = body.data?.placeOrder;
    if (placed?.__typename !== 'PlaceOrderPayload' || !placed.orderId) {
      throw new Error(`placeOrder failed: ${JSON.stringify(body)}`);
    }
    const arrivedAt = await withTimeout(watch.arrivalOf(placed.orderId), `order ${placed.orderId} on the subscription`);
    return { endToEndMs: arrivedAt - startedAt, placeOrderMs: respondedAt - startedAt };
  } finally {
    watch.close();
    await subscriptions.dispose();
  }
}

/**
 * One subscription to a customer's order history. `initial` settles with the first result the server sends
 * (so its Firestore listener is in place); `arrivalOf(orderId)` with the time of the first frame whose
 * orders include that id. Frames are kept as they come, so a frame that beats the HTTP response (which
 * the caller needs to learn the id) still counts, and frames about anything else are passed over.
 */
function watchCustomerOrders(client: Client, customerId: string) {
  let closed = false;
  const initial = deferred<void>();
  const frames: Array<{ at: number; orderIds: readonly string[] }> = [];
  const waiting = new Map<string, ReturnType<typeof deferred<number>>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (closed || failure) return;
    failure = { error };
    initial.reject(error);
    for (const arrival of waiting.values()) arrival.reject(error);
  };
  const unsubscribe = client.subscribe<CustomerOrders>(
    { query: CUSTOMER_ORDERS_SUBSCRIPTION, variables: { customerId } },
    {
      next: (result) => {
        const at = performance.now();
        if (result.errors) return fail(new Error(`subscription error: ${JSON.stringify(result.errors)}`));
        const history = result.data?.customerOrders;
        if (!history) return;
        const orderIds = orderIdsOf(history.orders);
        if (!orderIds) return fail(new Error(`unexpected shape of customerOrders.orders: ${JSON.stringify(history.orders)}`));
        initial.resolve();
        frames.push({ at, orderIds });
        for (const [orderId, arrival] of waiting) if (orderIds.includes(orderId)) arrival.resolve(at);
      },
      error: (error) => fail(error instanceof Error ? error : new Error(`subscription failed: ${JSON.stringify(error)}`)),
      complete: () => fail(new Error('subscription completed before the order arrived')),
    },
  );
  return {
    initial: initial.promise,
    arrivalOf: (orderId: string): Promise<number> => {
      const arrival = deferred<number>();
      const seen = frames.find((frame) => frame.orderIds.includes(orderId));
      if (seen) arrival.resolve(seen.at);
      else if (failure) arrival.reject(failure.error);
      else waiting.set(orderId, arrival);
      return arrival.promise;
    },
    close: () => {
      closed = true;
      unsubscribe();
    },
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whichever of a pair is not awaited when the other fails must not crash the run as an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** One write → onSnapshot sample on a fresh document, in ms. */
async function probeListenerLatency(writer: Firestore, listener: Firestore): Promise<number> {
  const id = randomUUID();
  const initial = deferred<void>();
  const arrival = deferred<number>();
  const unsubscribe = listener
    .collection(PROBES)
    .doc(id)
    .onSnapshot(
      (snapshot) => (snapshot.exists ? arrival.resolve(performance.now()) : initial.resolve()),
      (error) => {
        initial.reject(error);
        arrival.reject(error);
      },
    );
  try {
    await withTimeout(initial.promise, 'the probe listener’s initial snapshot');
    const startedAt = performance.now();
    // A document the size of a customer's history with one order, like the one the projector writes.
    await writer
      .collection(PROBES)
      .doc(id)
      .set({
        customerId: id,
        orders: { [id]: { orderId: id, status: 'PLACED', totalCents: 5900, itemCount: 3, placedAt: new Date().toISOString(), version: 1 } },
        orderCount: 1,
        totalSpentCents: 5900,
        updatedAt: new Date().toISOString(),
      });
    return (await withTimeout(arrival.promise, 'the probe write on the listener')) - startedAt;
  } finally {
    unsubscribe();
  }
}

/** `promise`, or a failure naming `what` once `timeoutMs` have passed without it. */
export async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = SAMPLE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function quarterMedians(samples: readonly number[]): [first: number, last: number] {
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  return [median(samples.slice(0, quarter)), median(samples.slice(-quarter))];
}
