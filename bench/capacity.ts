/**
 * (m) The capacity model's inputs, measured: what each command the API offers costs in Firestore document reads,
 * writes and deletes and in Pub/Sub messages, everything it sets off included (the API's command, the outbox
 * relay publishing its events, every projector and the payment workflow they are pushed to).
 *
 * One pipeline in this process (test/support/pipeline.ts, with the payment workflow as deployed), so every
 * Firestore client it creates goes through one gRPC interceptor that counts documents per request
 * (bench/firestoreOperations.ts). Who did what: the API's commands run inside an AsyncLocalStorage context the
 * interceptor reads when a call starts; everything else is known by the documents it touches (the relay's
 * listener and its clearing of `pending`, each projector's views and checkpoints, the workflow's deadlines).
 * Pub/Sub: a pull "tap" subscription on each topic counts the messages published, and the functions' servers
 * note each push they answer.
 *
 * Each command runs `repeats` times, one at a time (so no contention retries add cost: each figure is what one
 * command costs when it does not race another), then the pipeline is left to settle (nothing counted for
 * 1.5 s), the roll-up sweep runs as Cloud Scheduler runs it, and the counts are divided by `repeats`. The relay's
 * lease heartbeats cost writes by the second, not per command: they are measured apart, over an idle interval.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { projectors, subscribers } from '../functions/projectors.ts';
import { interceptFirestoreCalls } from '../src/firestore/createFirestore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { DEFAULT_STREAM_PARTITIONS } from '../src/firestore/partitions.ts';
import { createLogger } from '../src/logger.ts';
import { OutboxRelay } from '../src/outbox/outboxRelay.ts';
import { salesDashboardProjection } from '../src/projections/salesDashboard.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { asCustomer, asStaff } from '../test/support/identities.ts';
import { testPersonalData } from '../test/support/personalData.ts';
import { DOMAIN_EVENTS_TOPIC, graphql, INTEGRATION_EVENTS_TOPIC, type Pipeline, startPipeline } from '../test/support/pipeline.ts';
import { emptyCounts, FirestoreOperationCounter, type Operation, type OperationCounts } from './firestoreOperations.ts';
import { fixed, markdownTable } from './markdown.ts';
import { note, startPhase } from './progress.ts';

export interface CapacityPlan {
  /** Times each command runs. */
  readonly repeats: number;
  /** The idle interval the lease heartbeats are measured over, seconds. */
  readonly idleSeconds: number;
}

export const CAPACITY_PLANS: Record<'full' | 'quick', CapacityPlan> = {
  full: { repeats: 20, idleSeconds: 16 },
  quick: { repeats: 5, idleSeconds: 8 },
};

/** The components counted apart. */
export const COMPONENTS = ['API', 'relay', 'projectors', 'payment workflow', 'data keys', 'other'] as const;
type Component = (typeof COMPONENTS)[number];

export interface CommandCost {
  readonly command: string;
  /** What this measurement of the command does (how many lines, buckets, ...). */
  readonly shape: string;
  /** Per command, by component; `projectors` also by read model under `byReadModel`. */
  readonly firestore: Record<Component, OperationCounts>;
  readonly byReadModel: Record<string, OperationCounts>;
  /** Messages published per command, to the domain events topic (one per event) and to the integration topic. */
  readonly published: { readonly domain: number; readonly integration: number; readonly bytesPerMessage: number };
  /** Pushes per command: all the emulator made, and those of the types each subscription's filter lets through. */
  readonly pushes: { readonly all: number; readonly filtered: number };
}

export interface CapacityResult {
  readonly plan: CapacityPlan;
  readonly commands: readonly CommandCost[];
  /** The relay's lease heartbeats with one relay, per second: reads and writes. */
  readonly heartbeats: OperationCounts;
}

/**
 * Who is calling: the API's commands run in this context, and so does each function's handling of a push
 * (`function <name>`), so the interceptor knows whose each call is. The relay is known by its documents.
 */
const caller = new AsyncLocalStorage<string>();

/** The component of a caller that said who it is. */
function componentOfCaller(name: string): string {
  if (!name.startsWith('function ')) return name;
  const fn = name.slice('function '.length);
  const projection = (projectors as Record<string, { name: string } | undefined>)[fn];
  if (projection) return `projector ${projection.name}`;
  return fn === 'runPaymentWorkflow' ? 'payment workflow' : `other ${fn}`;
}

/**
 * Who an operation outside the API belongs to, by its document: `relay`, `relay leases`, `projector <name>`,
 * `payment workflow`, or `other <collection>`.
 */
export function componentOf(operation: Operation): string {
  const [top = ''] = operation.path.split('/');
  // The relay: its listener and catch-up query over pending events, clearing their marker, and its leases.
  if (top === 'events' || (top === 'streams' && (operation.rpc === 'Listen' || operation.kind === 'update'))) return 'relay';
  if (top === 'relayLeases' || top === 'relayMembers') return 'relay leases';
  // Read to open sealed personal data for the integration events the relay publishes.
  if (top === 'dataKeys') return 'data keys';
  return `other ${top}`;
}

function groupOf(component: string): Component {
  if (component === 'API') return 'API';
  if (component === 'relay') return 'relay';
  // Read outside the API to open sealed personal data: by the relay (integration events) and projectors.
  if (component === 'data keys') return 'data keys';
  if (component.startsWith('projector')) return 'projectors';
  if (component === 'payment workflow') return 'payment workflow';
  return 'other';
}

function difference(after: Map<string, OperationCounts>, before: Map<string, OperationCounts>): Map<string, OperationCounts> {
  const result = new Map<string, OperationCounts>();
  for (const [component, counts] of after) {
    const earlier = before.get(component) ?? emptyCounts();
    result.set(component, {
      reads: counts.reads - earlier.reads,
      writes: counts.writes - earlier.writes,
      deletes: counts.deletes - earlier.deletes,
      requests: counts.requests - earlier.requests,
    });
  }
  return result;
}

function scaled(counts: OperationCounts, by: number): OperationCounts {
  return { reads: counts.reads / by, writes: counts.writes / by, deletes: counts.deletes / by, requests: counts.requests / by };
}

function added(into: OperationCounts, counts: OperationCounts): void {
  into.reads += counts.reads;
  into.writes += counts.writes;
  into.deletes += counts.deletes;
  into.requests += counts.requests;
}

/** Counts the messages of a topic through a pull subscription of its own. */
interface Tap {
  messages: number;
  bytes: number;
  close(): Promise<void>;
}

async function tap(pipeline: Pipeline, topic: string): Promise<Tap> {
  const [subscription] = await pipeline.pubsub.topic(topic).createSubscription(`capacity-tap-${topic}-${randomUUID().slice(0, 8)}`);
  const counted: Tap = {
    messages: 0,
    bytes: 0,
    close: async () => {
      await (subscription as Subscription).close();
      await (subscription as Subscription).delete();
    },
  };
  (subscription as Subscription).on('message', (message: Message) => {
    counted.messages++;
    counted.bytes += message.data.length;
    message.ack();
  });
  return counted;
}

const MUTATIONS = {
  addProduct: 'mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename ... on Error { code message } } }',
  registerCustomer:
    'mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename ... on Error { code message } } }',
  changeCustomerDetails:
    'mutation ($input: ChangeCustomerDetailsInput!) { changeCustomerDetails(input: $input) { __typename ... on Error { code message } } }',
  changeProductPrice:
    'mutation ($input: ChangeProductPriceInput!) { changeProductPrice(input: $input) { __typename ... on Error { code message } } }',
  restockProduct: 'mutation ($input: RestockProductInput!) { restockProduct(input: $input) { __typename ... on Error { code message } } }',
  placeOrder:
    'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename ... on PlaceOrderPayload { orderId } ... on Error { code message } } }',
  confirmOrderPayment:
    'mutation ($input: ConfirmOrderPaymentInput!) { confirmOrderPayment(input: $input) { __typename ... on Error { code message } } }',
  shipOrder: 'mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { __typename ... on Error { code message } } }',
  cancelOrder: 'mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename ... on Error { code message } } }',
  discontinueProduct:
    'mutation ($input: DiscontinueProductInput!) { discontinueProduct(input: $input) { __typename ... on Error { code message } } }',
  forgetCustomer: 'mutation ($customerId: ID!) { forgetCustomer(customerId: $customerId) { __typename ... on Error { code message } } }',
} as const;

type MutationName = keyof typeof MUTATIONS;

interface Step {
  readonly command: MutationName;
  readonly shape: string;
  /** The variables and the caller of repetition `i`. */
  readonly call: (i: number) => Promise<{ variables: Record<string, unknown>; headers: Record<string, string> }>;
  /** Keeps what later steps need (the orders placed). */
  readonly keep?: (i: number, payload: Record<string, unknown>) => void;
}

export async function measureCapacity(plan: CapacityPlan): Promise<CapacityResult> {
  const run = randomUUID().slice(0, 6);
  const products = (i: number) => `cap-${run}-p${i}`;
  const customers = (i: number) => `cap-${run}-c${i}`;
  const counter = new FirestoreOperationCounter(componentOf, () => {
    const name = caller.getStore();
    return name === undefined ? undefined : componentOfCaller(name);
  });
  const stopCounting = interceptFirestoreCalls(counter.interceptor);
  // The relay as deployed: with partition leases (the pipeline's own runs without).
  const pipeline = await startPipeline({
    workflows: true,
    startRelay: false,
    aroundFunction: (name, handle) => caller.run(`function ${name}`, handle),
  });
  const personalData = testPersonalData(pipeline.db);
  pipeline.relay = new OutboxRelay({
    db: pipeline.db,
    topic: pipeline.pubsub.topic(DOMAIN_EVENTS_TOPIC, { messageOrdering: true }),
    integrationTopic: pipeline.pubsub.topic(INTEGRATION_EVENTS_TOPIC, { messageOrdering: true }),
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'error', name: 'capacity-relay' }),
    openPersonalData: (events) => personalData.protection.open(events),
    leases: {},
  });
  pipeline.relay.start();
  // The roll-up sweep, as Cloud Scheduler has it run (functions/rollUpSweep.ts).
  const sweeper = new FirestoreProjector(pipeline.db, pipeline.store, shopEvents);
  const taps = { domain: await tap(pipeline, DOMAIN_EVENTS_TOPIC), integration: await tap(pipeline, INTEGRATION_EVENTS_TOPIC) };
  const [catalog, fulfilment] = [await asStaff('catalog'), await asStaff('fulfilment')];
  const oneLineOrders: string[] = [];
  const threeLineOrders: string[] = [];
  const n = plan.repeats;
  const key = () => randomUUID();

  const steps: Step[] = [
    {
      command: 'addProduct',
      shape: '16 stock buckets (the default)',
      call: async (i) => ({
        variables: {
          input: { productId: products(i), name: `Product ${i}`, priceCents: 1000 + i, initialStock: 1000, idempotencyKey: key() },
        },
        headers: catalog,
      }),
    },
    {
      command: 'registerCustomer',
      shape: 'name and email sealed with a new data key',
      call: async (i) => ({
        variables: { input: { customerId: customers(i), name: `Customer ${i}`, email: `c${i}@example.com`, idempotencyKey: key() } },
        headers: await asCustomer(customers(i)),
      }),
    },
    {
      command: 'changeCustomerDetails',
      shape: '',
      call: async (i) => ({
        variables: { input: { customerId: customers(i), name: `Customer ${i} B`, email: `c${i}b@example.com`, idempotencyKey: key() } },
        headers: await asCustomer(customers(i)),
      }),
    },
    {
      command: 'changeProductPrice',
      shape: '',
      call: async (i) => ({
        variables: { input: { productId: products(i), priceCents: 2000 + i, idempotencyKey: key() } },
        headers: catalog,
      }),
    },
    {
      command: 'restockProduct',
      shape: 'a share to each of 16 buckets',
      call: async (i) => ({ variables: { input: { productId: products(i), quantity: 160, idempotencyKey: key() } }, headers: catalog }),
    },
    {
      command: 'placeOrder',
      shape: '1 line',
      call: async (i) => ({
        variables: { input: { customerId: customers(i), lines: [{ productId: products(i), quantity: 1 }], idempotencyKey: key() } },
        headers: await asCustomer(customers(i)),
      }),
      keep: (_i, payload) => oneLineOrders.push(payload.orderId as string),
    },
    {
      command: 'placeOrder',
      shape: '3 lines',
      call: async (i) => ({
        variables: {
          input: {
            customerId: customers(i),
            lines: [0, 1, 2].map((k) => ({ productId: products((i + k) % n), quantity: 1 })),
            idempotencyKey: key(),
          },
        },
        headers: await asCustomer(customers(i)),
      }),
      keep: (_i, payload) => threeLineOrders.push(payload.orderId as string),
    },
    {
      command: 'confirmOrderPayment',
      shape: 'a 1-line order',
      call: async (i) => ({
        variables: { input: { orderId: oneLineOrders[i], paymentReference: `pay-${i}`, idempotencyKey: key() } },
        headers: fulfilment,
      }),
    },
    {
      command: 'shipOrder',
      shape: 'a paid 1-line order',
      call: async (i) => ({ variables: { input: { orderId: oneLineOrders[i], idempotencyKey: key() } }, headers: fulfilment }),
    },
    {
      command: 'cancelOrder',
      shape: 'a placed 3-line order',
      call: async (i) => ({
        variables: { input: { orderId: threeLineOrders[i], reason: 'changed their mind', idempotencyKey: key() } },
        headers: fulfilment,
      }),
    },
    {
      command: 'discontinueProduct',
      shape: 'its stream and 16 buckets',
      call: async (i) => ({ variables: { input: { productId: products(i), idempotencyKey: key() } }, headers: catalog }),
    },
    {
      command: 'forgetCustomer',
      shape: 'a customer with 2 orders',
      call: async (i) => ({ variables: { customerId: customers(i) }, headers: await asCustomer(customers(i)) }),
    },
  ];

  const signature = () => {
    const counts = [...counter.snapshot()].filter(([component]) => component !== 'relay leases');
    return JSON.stringify([counts, taps.domain.messages, taps.integration.messages, pipeline.deliveries().length]);
  };
  /** Waits until nothing is counted for 1.5 s: the relay, the pushes and every function they set off are done. */
  const settle = async () => {
    const deadline = performance.now() + 120_000;
    let last = signature();
    let quietSince = performance.now();
    while (performance.now() - quietSince < 1_500) {
      if (performance.now() > deadline) throw new Error('(m) the pipeline did not settle within 120 s');
      await sleep(100);
      const now = signature();
      if (now !== last) {
        last = now;
        quietSince = performance.now();
      }
    }
  };

  try {
    // Warm-up: every path once (first pushes, first listener events, the functions' runtimes), not measured.
    const warm = startPhase('(m) warming up the pipeline', 1);
    const warmProduct = `cap-${run}-warm`;
    const warmCustomer = `cap-${run}-warm-c`;
    await send(pipeline, 'addProduct', { input: { productId: warmProduct, name: 'Warm', priceCents: 100, initialStock: 100 } }, catalog);
    await send(
      pipeline,
      'registerCustomer',
      { input: { customerId: warmCustomer, name: 'Warm', email: 'w@example.com' } },
      await asCustomer(warmCustomer),
    );
    await send(
      pipeline,
      'placeOrder',
      { input: { customerId: warmCustomer, lines: [{ productId: warmProduct, quantity: 1 }] } },
      await asCustomer(warmCustomer),
    );
    await settle();
    warm.end();

    const idle = startPhase(`(m) relay lease heartbeats over ${plan.idleSeconds} s idle`, 1);
    const idleBefore = counter.snapshot();
    await sleep(plan.idleSeconds * 1000);
    const heartbeats = scaled(difference(counter.snapshot(), idleBefore).get('relay leases') ?? emptyCounts(), plan.idleSeconds);
    idle.end();

    const commands: CommandCost[] = [];
    const phase = startPhase('(m) commands, each run and settled', steps.length);
    for (const step of steps) {
      const before = counter.snapshot();
      const tapsBefore = {
        domain: taps.domain.messages,
        integration: taps.integration.messages,
        bytes: taps.domain.bytes + taps.integration.bytes,
      };
      const deliveriesBefore = pipeline.deliveries().length;
      for (let i = 0; i < n; i++) {
        const { variables, headers } = await step.call(i);
        const payload = await send(pipeline, step.command, variables, headers);
        step.keep?.(i, payload);
      }
      await settle();
      // What the projectors left pending of the dashboard's contributions (they roll a shard up only after 8 of
      // their own contributions to it), the scheduled sweep folds: part of what the commands cost.
      await caller.run(`projector ${salesDashboardProjection.name}`, () => sweeper.sweepRollUps(salesDashboardProjection));
      const spent = difference(counter.snapshot(), before);
      spent.delete('relay leases');
      const firestore = Object.fromEntries(COMPONENTS.map((c) => [c, emptyCounts()])) as Record<Component, OperationCounts>;
      const byReadModel: Record<string, OperationCounts> = {};
      for (const [component, counts] of spent) {
        const perCommand = scaled(counts, n);
        added(firestore[groupOf(component)], perCommand);
        if (component.startsWith('projector ')) byReadModel[component.slice('projector '.length)] = perCommand;
        else if (groupOf(component) === 'other' && counts.reads + counts.writes + counts.deletes > 0) {
          note(`  (m) ${step.command}: ${component} ${JSON.stringify(counts)}`);
        }
      }
      const pushes = pipeline.deliveries().slice(deliveriesBefore);
      const domain = taps.domain.messages - tapsBefore.domain;
      const integration = taps.integration.messages - tapsBefore.integration;
      const bytes = taps.domain.bytes + taps.integration.bytes - tapsBefore.bytes;
      commands.push({
        command: step.command,
        shape: step.shape,
        firestore,
        byReadModel,
        published: {
          domain: domain / n,
          integration: integration / n,
          bytesPerMessage: domain + integration > 0 ? bytes / (domain + integration) : 0,
        },
        pushes: {
          all: pushes.length / n,
          filtered: pushes.filter((push) => push.type !== undefined && subscribers[push.function]?.includes(push.type)).length / n,
        },
      });
      phase.tick();
    }
    phase.end();
    return { plan, commands, heartbeats };
  } finally {
    stopCounting();
    await taps.domain.close();
    await taps.integration.close();
    await pipeline.stop();
  }
}

/** Sends one command as the API's caller and returns its payload; a typed error fails the run. */
async function send(
  pipeline: Pipeline,
  command: MutationName,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<Record<string, unknown>> {
  const response = await caller.run('API', () =>
    graphql<Record<string, Record<string, unknown>>>(pipeline.api, MUTATIONS[command], variables, headers),
  );
  const payload = response.data?.[command];
  const typename = payload?.__typename;
  if (response.errors || typeof typename !== 'string' || !typename.endsWith('Payload')) {
    throw new Error(`(m) ${command} answered ${JSON.stringify(response.errors ?? payload)}`);
  }
  return payload!;
}

const total = (counts: Record<Component, OperationCounts>, field: keyof OperationCounts) =>
  COMPONENTS.reduce((sum, component) => sum + counts[component][field], 0);

/** A count as a table cell: whole numbers as they are, others to one decimal. */
function cell(value: number): string {
  return Number.isInteger(value) ? String(value) : fixed(value, 1);
}

/** "reads / writes" of one component, deletes added when there are any. */
function readsWrites(counts: OperationCounts): string {
  const deletes = counts.deletes > 0 ? ` (+${cell(counts.deletes)} del.)` : '';
  return `${cell(counts.reads)} / ${cell(counts.writes)}${deletes}`;
}

export function renderCapacitySection(result: CapacityResult): string {
  const readModels = [...new Set(result.commands.flatMap((c) => Object.keys(c.byReadModel)))].sort();
  return [
    '## (m) What each command costs: Firestore documents and Pub/Sub messages',
    '',
    `Each command run ${result.plan.repeats} times through the API (with an idempotency key where it takes one), one at a ` +
      'time, and everything it sets off left to finish: the relay, every projector and the payment workflow. Counted at the ' +
      "Firestore client's requests (a gRPC interceptor on every client of the process): a read per document a lookup, query " +
      '(at least one) or listener returns, a write per document a commit writes. Per command; "reads / writes" per component. ' +
      'Pushes: to the functions whose subscription filter lets the event type through (in brackets, all the emulator pushed).',
    '',
    markdownTable(
      [
        'command',
        'shape',
        'API',
        'relay',
        'projectors',
        'workflow',
        'data keys',
        'total reads',
        'total writes',
        'requests',
        'events',
        'integration',
        'pushes',
      ],
      result.commands.map((c) => [
        c.command,
        c.shape,
        readsWrites(c.firestore.API),
        readsWrites(c.firestore.relay),
        readsWrites(c.firestore.projectors),
        readsWrites(c.firestore['payment workflow']),
        readsWrites(c.firestore['data keys']),
        cell(total(c.firestore, 'reads')),
        cell(total(c.firestore, 'writes') + total(c.firestore, 'deletes')),
        cell(total(c.firestore, 'requests')),
        cell(c.published.domain),
        cell(c.published.integration),
        `${cell(c.pushes.filtered)} (${cell(c.pushes.all)})`,
      ]),
      ['left', 'left'],
    ),
    '',
    'Projector reads / writes per read model:',
    '',
    markdownTable(
      ['command', 'shape', ...readModels],
      result.commands.map((c) => [c.command, c.shape, ...readModels.map((m) => (c.byReadModel[m] ? readsWrites(c.byReadModel[m]) : ''))]),
      ['left', 'left'],
    ),
    '',
    `Besides, per relay instance and second, whatever the load: its partition leases cost ${fixed(result.heartbeats.reads, 1)} reads and ` +
      `${fixed(result.heartbeats.writes, 1)} writes (heartbeats of one relay holding all ${DEFAULT_STREAM_PARTITIONS} partitions; measured over ` +
      `${result.plan.idleSeconds} s idle). "data keys": reads of customers' data keys by the relay (opening sealed fields for ` +
      'integration events). Messages average ' +
      `${Math.round(median(result.commands.map((c) => c.published.bytesPerMessage).filter((b) => b > 0)))} bytes of data.`,
    '',
  ].join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}
