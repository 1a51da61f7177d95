/**
 * The whole pipeline in one test process, on the real emulators: the API on an HTTP port (HTTP, SSE,
 * WebSocket), the outbox relay, the Pub/Sub topic with a push subscription per projector, and each
 * projector function served by functions-framework's test server on its own port.
 */
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PubSub } from '@google-cloud/pubsub';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { FirestoreEventStore } from '../../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels } from '../../src/firestore/firestoreReadModels.ts';
import { firestoreApiDeps } from '../../src/apiDeps.ts';
import { createApi, type Api, type ApiOptions } from '../../src/graphql/createApi.ts';
import { attachWebSocket } from '../../src/graphql/webSocket.ts';
import { createLogger } from '../../src/logger.ts';
import { type OutboxDiscovery, OutboxRelay } from '../../src/outbox/outboxRelay.ts';
import { ensureTopology, pushSubscriptionName } from '../../src/pubsub/topology.ts';
import { testFirestore, uniqueProjectId } from './firestore.ts';
import { testPersonalData } from './personalData.ts';
import { testTokens } from './identities.ts';

export const DOMAIN_EVENTS_TOPIC = 'eventloom-domain-events';
export const INTEGRATION_EVENTS_TOPIC = 'eventloom-integration-events';

/** A push delivery a function has answered: what Pub/Sub sent it, and the status it answered with. */
export interface PushDelivery {
  /** The function's name, e.g. `projectCustomerOrderHistory`. */
  readonly function: string;
  readonly messageId: string | undefined;
  readonly eventId: string | undefined;
  readonly streamId: string | undefined;
  readonly version: number | undefined;
  readonly type: string | undefined;
  readonly status: number;
  /** When the push arrived (Date.now()), and how long the function took to answer it. */
  readonly receivedAt: number;
  readonly durationMs: number;
}

export interface Pipeline {
  readonly projectId: string;
  readonly db: ReturnType<typeof testFirestore>;
  readonly store: FirestoreEventStore;
  readonly readModels: FirestoreReadModels;
  readonly pubsub: PubSub;
  readonly api: Api;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** A relay handle; tests that simulate a crash stop it and start another. */
  relay: OutboxRelay;
  newRelay(): OutboxRelay;
  /**
   * The deliveries the projector functions (and the dead-letter sink) have answered so far, oldest first,
   * optionally of one function only: what the functions themselves saw, on the subscriptions they serve.
   */
  deliveries(functionName?: string): readonly PushDelivery[];
  stop(): Promise<void>;
}

export interface PipelineOptions {
  /** Leave the relay stopped, as if the API died right after committing. */
  readonly startRelay?: boolean;
  /** Options of the API under test (the dashboard's sign-in, for instance). */
  readonly api?: ApiOptions;
  /**
   * Also push the order events to the payment workflow (and its view), as `npm run dev` and a deployment do.
   * Off by default: the workflow answers every order with events of its own, which tests that count events or
   * compare the store's newest event with each projection's do not expect.
   */
  readonly workflows?: boolean;
  /** When the `projections` query reports a read model with pending events as stalled; default 120 s. */
  readonly stallAfterSeconds?: number;
  /**
   * Serve the pushed functions in this process, each with a push subscription (the default); false: only the
   * topics, for a caller that delivers the events to functions of its own (the bench's concurrent pushes).
   */
  readonly functions?: boolean;
  /** How the relay learns of committed events; default: a listener per partition, as in production. */
  readonly relayDiscovery?: OutboxDiscovery;
  /** Runs each request a function's server receives (`handle`), e.g. inside an async context that names the function. */
  readonly aroundFunction?: (name: string, handle: () => void) => void;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const projectId = uniqueProjectId('pipeline');
  // The projector functions build their runtime from the environment on first use, as in Cloud Functions.
  process.env.GOOGLE_CLOUD_PROJECT = projectId;
  process.env.LOG_LEVEL ??= 'warn';
  const { projectors, DEAD_LETTER_SINK } = await import('../../functions/index.ts');
  const { subscribers, workflows } = await import('../../functions/projectors.ts');

  const db = testFirestore(projectId);
  const store = new FirestoreEventStore(db);
  const readModels = new FirestoreReadModels(db);
  const pubsub = new PubSub({ projectId });
  const logger = createLogger({ level: process.env.LOG_LEVEL, name: 'test-pipeline' });

  const functionServers: Server[] = [];
  const deliveries: PushDelivery[] = [];
  const subscriptions = [];
  // Every pushed function: the projectors and the payment workflow.
  // The payment workflow and the view of its deadlines come together.
  const workflowFunctions = new Set([...Object.keys(workflows), 'projectPaymentDeadlines']);
  const pushed =
    (options.functions ?? true) ? Object.entries(subscribers).filter(([name]) => options.workflows || !workflowFunctions.has(name)) : [];
  for (const [name, eventTypes] of pushed) {
    const server = getTestServer(name);
    if (options.aroundFunction) wrapRequests(server, name, options.aroundFunction);
    recordDeliveries(server, name, deliveries);
    const port = await listen(server);
    functionServers.push(server);
    subscriptions.push({ name: pushSubscriptionName(name), pushEndpoint: `http://127.0.0.1:${port}/`, eventTypes });
  }
  let deadLetters: { sinkEndpoint: string; maxDeliveryAttempts: number } | undefined;
  if (options.functions ?? true) {
    const sink = getTestServer(DEAD_LETTER_SINK);
    recordDeliveries(sink, DEAD_LETTER_SINK, deliveries);
    const sinkPort = await listen(sink);
    functionServers.push(sink);
    deadLetters = { sinkEndpoint: `http://127.0.0.1:${sinkPort}/`, maxDeliveryAttempts: 5 };
  }
  await ensureTopology(pubsub, {
    topic: DOMAIN_EVENTS_TOPIC,
    subscriptions,
    ...(deadLetters ? { deadLetters } : {}),
    // Fast redelivery, so poison messages reach the dead letters within seconds in tests.
    retry: { minimumBackoffSeconds: 0.1, maximumBackoffSeconds: 0.5 },
    ackDeadlineSeconds: 10,
    otherTopics: [INTEGRATION_EVENTS_TOPIC],
  });

  const personalData = testPersonalData(db);
  const newRelay = () =>
    new OutboxRelay({
      openPersonalData: (events) => personalData.protection.open(events),
      db,
      topic: pubsub.topic(DOMAIN_EVENTS_TOPIC, { messageOrdering: true }),
      integrationTopic: pubsub.topic(INTEGRATION_EVENTS_TOPIC, { messageOrdering: true }),
      logger,
      ...(options.relayDiscovery ? { discovery: options.relayDiscovery } : {}),
    });
  const relay = newRelay();
  // Started before the tests look: its listeners are there when a test counts the client's.
  if (options.startRelay ?? true) await relay.start();
  const tokens = testTokens();

  const api = createApi(
    firestoreApiDeps({
      db,
      readModels,
      logger,
      domainEventsTopic: pubsub.topic(DOMAIN_EVENTS_TOPIC, { messageOrdering: true }),
      projections: Object.entries(projectors)
        .filter(([name]) => options.workflows || !workflowFunctions.has(name))
        .map(([, projection]) => projection),
      tokens,
      personalData,
      onCommitted: () => pipeline.relay.nudge(),
      ...(options.stallAfterSeconds === undefined ? {} : { stallAfterSeconds: options.stallAfterSeconds }),
    }),
    options.api,
  );
  const apiServer = createServer(api);
  const webSocket = attachWebSocket(api, apiServer, { tokens });
  const apiPort = await listen(apiServer);

  const pipeline: Pipeline = {
    projectId,
    db,
    store,
    readModels,
    pubsub,
    api,
    httpUrl: `http://127.0.0.1:${apiPort}/graphql`,
    wsUrl: `ws://127.0.0.1:${apiPort}/graphql`,
    relay,
    newRelay,
    deliveries: (functionName) => (functionName ? deliveries.filter((d) => d.function === functionName) : [...deliveries]),
    async stop() {
      await pipeline.relay.stop();
      await webSocket.close();
      apiServer.closeAllConnections();
      await new Promise((resolve) => apiServer.close(resolve));
      for (const server of functionServers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      await pubsub.close();
      await db.terminate();
      // The next pipeline in this process is on another project: its deliveries must build their runtime anew.
      await (await import('../../functions/runtime.ts')).forgetRuntimes();
    },
  };
  return pipeline;
}

/** Makes the function's own request handler run through `around`. */
function wrapRequests(server: Server, name: string, around: NonNullable<PipelineOptions['aroundFunction']>): void {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  for (const handler of handlers)
    server.on('request', (req: IncomingMessage, res: ServerResponse) => around(name, () => handler(req, res)));
}

/**
 * Notes every request the function's server answers, beside the function itself (a second `request`
 * listener; the function's framework parses the body onto the same request object before it answers).
 */
function recordDeliveries(server: Server, name: string, into: PushDelivery[]): void {
  server.on('request', (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const receivedAt = Date.now();
    const startedAt = performance.now();
    res.once('finish', () => {
      const message = (req.body as { message?: { messageId?: string; attributes?: Record<string, string> } } | undefined)?.message;
      into.push(pushDelivery(name, message ?? {}, { status: res.statusCode, receivedAt, durationMs: performance.now() - startedAt }));
    });
  });
}

/** A push of `message` to the function `name`, and how it was answered. */
export function pushDelivery(
  name: string,
  message: { readonly messageId?: string; readonly attributes?: Readonly<Record<string, string>> },
  answer: Pick<PushDelivery, 'status' | 'receivedAt' | 'durationMs'>,
): PushDelivery {
  const attributes = message.attributes ?? {};
  return {
    function: name,
    messageId: message.messageId,
    eventId: attributes.eventId,
    streamId: attributes.streamId,
    version: attributes.version === undefined ? undefined : Number(attributes.version),
    type: attributes.type,
    ...answer,
  };
}

/** Sends a GraphQL operation over HTTP through the API's fetch handler (no socket); `headers` say who asks. */
export async function graphql<T = Record<string, unknown>>(
  api: Api,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }> {
  const response = await api.fetch('http://api/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T };
}

/**
 * The hooks of a file whose tests subscribe: a pipeline started before them (handed to `use`) and stopped after,
 * and after each test a wait until every Firestore listener its subscriptions opened has closed again, since a
 * client that left must not keep a listener open until its view next changes.
 */
export function pipelineReleasingListeners(use: (pipeline: Pipeline) => void, options: PipelineOptions = {}): void {
  let pipeline: Pipeline | undefined;
  let baseline = 0;
  // The client library counts its live onSnapshot listeners; it is not in its typings.
  const active = () => (pipeline!.db as unknown as { registeredListenersCount: number }).registeredListenersCount;
  beforeAll(async () => {
    pipeline = await startPipeline(options);
    baseline = active();
    use(pipeline);
  });
  afterEach(async () => {
    await vi.waitFor(() => expect(active()).toBe(baseline), { timeout: 5_000, interval: 20 });
  });
  afterAll(() => pipeline?.stop());
}
