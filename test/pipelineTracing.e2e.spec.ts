/**
 * One trace across the whole pipeline, on the emulators with the real OpenTelemetry SDK: an order placed through
 * the API (HTTP, the GraphQL mutation, the command and its commit) is published by the outbox relay (a producer
 * span per message, W3C `traceparent` in its attributes), handled by every projector and the payment workflow that
 * read its events (a consumer span each, continuing the message's trace; the workflow's own events continue it
 * further), and reaches a live subscriber in a frame whose span is a child of the projector span that wrote the
 * view. Every span of the trace hangs from another of its spans, and each starts after its parent.
 *
 * The API, the relay and the functions run in this process (test/support/pipeline.ts), as the bench runs them, so
 * one tracer provider sees every hop; a functions-framework process of its own (as Cloud Run functions and
 * `npm run dev` run one) sends its spans over OTLP to an operator port, as in development.
 *
 * The metrics move too: events published by topic, projected events by read model and outcome (a redelivered
 * event counts as a duplicate), the outbox's pending age.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../scripts/devPorts.ts';
import { projectorFunction } from '../scripts/projectorFunctions.ts';
import { loadTelemetryConfig } from '../src/config.ts';
import { subscribers } from '../functions/projectors.ts';
import { toEventMessage } from '../src/pubsub/eventMessage.ts';
import { Readiness } from '../src/telemetry/health.ts';
import { type OpsServer, startOpsServer } from '../src/telemetry/opsServer.ts';
import type { SpanRecord } from '../src/telemetry/recentTraces.ts';
import { startTelemetry, type Telemetry } from '../src/telemetry/startTelemetry.ts';
import { asCustomer } from './support/identities.ts';
import { CUSTOMER_ORDERS_SUBSCRIPTION, orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { DOMAIN_EVENTS_TOPIC, type Pipeline, pipelineReleasingListeners } from './support/pipeline.ts';
import { subscribeOverSse } from './support/subscriptions.ts';

let telemetry: Telemetry;
let ops: OpsServer;
let pipeline: Pipeline;
const customerId = `c-${randomUUID()}`;

beforeAll(async () => {
  // Before the pipeline, so the clients it creates trace into this provider, as startApi does.
  const config = {
    ...loadTelemetryConfig({ ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined }),
    exporter: { kind: 'memory' as const },
  };
  telemetry = await startTelemetry(config, { serviceName: 'eventloom-test' });
  ops = await startOpsServer(telemetry, new Readiness([]), { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await ops?.close();
  await telemetry?.shutdown();
});
// With the payment workflow: its events continue the order's trace.
pipelineReleasingListeners((started) => (pipeline = started), { workflows: true });
beforeAll(() => setUpShop(pipeline.api, [customerId]), 30_000);

/** The value of one Prometheus sample on the operator port, 0 when it is absent. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ops.port}/metrics`)).text();
  const line = text.split('\n').find((l) => {
    if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) return false;
    return Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`));
  });
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const isPublish = (span: SpanRecord) => span.name === `publish ${DOMAIN_EVENTS_TOPIC}`;
/** The functions pushed an event: `project <readModel>` for the projectors, `workflow payment` for the workflow. */
const isConsumer = (span: SpanRecord) => span.hop === 'projector' || span.hop === 'workflow';
const consumerSpanName = (functionName: string) =>
  functionName === 'runPaymentWorkflow'
    ? 'workflow payment'
    : `project ${functionName.replace(/^project(.)/, (_, c: string) => c.toLowerCase())}`;

/** Places an order over GraphQL HTTP as the customer, and returns the event it stored (OrderPlaced). */
async function placeOrderOverHttp() {
  const response = await fetch(pipeline.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await asCustomer(customerId)) },
    body: JSON.stringify({ query: PLACE_ORDER, variables: { input: orderInput(customerId) } }),
  });
  const { streamId } = ((await response.json()) as { data: { placeOrder: { streamId: string } } }).data.placeOrder;
  const [placed] = await pipeline.store.readStream(streamId);
  return placed;
}

/** For each domain event published in the trace, the consumer span names expected: one per function that reads its type. */
function expectedConsumers(spans: readonly SpanRecord[]): Array<{ publish: SpanRecord; names: string[] }> {
  return spans.filter(isPublish).map((publish) => ({
    publish,
    names: Object.entries(subscribers)
      .filter(([, types]) => types.includes(String(publish.attributes['eventloom.event_type'])))
      .map(([functionName]) => consumerSpanName(functionName))
      .sort(),
  }));
}

describe('one trace from the mutation to the subscriber', () => {
  it('holds the API, the commit, the relay, every projector and workflow that read the events, and the live frame', {
    timeout: 60_000,
  }, async () => {
    const headers = await asCustomer(customerId);
    const live = subscribeOverSse<{ customerOrders: { orders: { edges: Array<{ node: { orderId: string } }> } } | null }>(
      pipeline.httpUrl,
      CUSTOMER_ORDERS_SUBSCRIPTION,
      { customerId },
      headers,
    );
    try {
      await live.next((result) => result.data?.customerOrders !== undefined);
      const correlationId = `pipeline-trace-${randomUUID()}`;
      const response = await fetch(pipeline.httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId, ...headers },
        body: JSON.stringify({ query: PLACE_ORDER, variables: { input: orderInput(customerId) } }),
      });
      const placed = ((await response.json()) as { data: { placeOrder: { __typename: string; orderId: string; streamId: string } } }).data
        .placeOrder;
      expect(placed.__typename).toBe('PlaceOrderPayload');
      await live.next((result) => Boolean(result.data?.customerOrders?.orders.edges.some((e) => e.node.orderId === placed.orderId)));

      const [traceId, ...others] = telemetry.recentTraces!.traceIdsOf(correlationId);
      expect(others).toEqual([]);
      // Every function that reads an event of the trace has handled it, and the frame has gone out.
      let spans: SpanRecord[] = [];
      await vi.waitFor(
        () => {
          spans = telemetry.recentTraces!.trace(traceId!);
          for (const { publish, names } of expectedConsumers(spans)) {
            const handled = spans.filter((s) => isConsumer(s) && s.parentSpanId === publish.spanId).map((s) => s.name);
            expect(handled.sort(), `consumers of ${publish.attributes['eventloom.event_type']}`).toEqual(names);
          }
          expect(spans.some((s) => s.name === 'subscription frame WatchCustomerOrders')).toBe(true);
          // The payment workflow's own events, published under its span, are part of the trace too.
          const workflow = spans.find((s) => s.name === 'workflow payment');
          expect(spans.some((s) => isPublish(s) && s.parentSpanId === workflow?.spanId)).toBe(true);
        },
        { timeout: 20_000, interval: 50 },
      );

      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const parentOf = (span: SpanRecord) => byId.get(span.parentSpanId ?? '');
      const named = (name: string) => spans.filter((s) => s.name === name);

      // One root, the API's HTTP request; every other span hangs from a span of the trace and starts after it.
      expect(spans.filter((s) => s.parentSpanId === null).map((s) => s.name)).toEqual(['HTTP POST /graphql']);
      for (const span of spans) {
        expect(span.traceId).toBe(traceId);
        if (span.parentSpanId === null) continue;
        const parent = parentOf(span);
        expect(parent, `the parent of ${span.name}`).toBeDefined();
        expect(span.startMs).toBeGreaterThanOrEqual(parent!.startMs - 1);
      }

      // The API: HTTP → operation → execute → command → append (→ the Firestore commit).
      const [command] = named('command PlaceOrder');
      expect(parentOf(parentOf(command!)!)?.name).toBe('mutation PlaceOrder');
      expect(named('append').map((s) => s.parentSpanId)).toEqual([command!.spanId]);

      // The relay published each event of the order in a producer span under the command, to both topics.
      const orderEvents = await pipeline.store.readStream(placed.streamId);
      const published = spans.filter(isPublish);
      for (const event of orderEvents) {
        const publish = published.find((s) => s.attributes['eventloom.event_id'] === event.eventId);
        expect(publish?.parentSpanId, `the publish of ${event.type}`).toBe(command!.spanId);
        expect(publish?.attributes['eventloom.correlation_id']).toBe(correlationId);
      }
      expect(named('publish eventloom-integration-events').length).toBeGreaterThan(0);

      // Each projector span handled the event its parent published, and wrote the view inside (the Firestore transaction).
      for (const consumer of spans.filter(isConsumer)) {
        expect(consumer.attributes['eventloom.event_id']).toBe(parentOf(consumer)!.attributes['eventloom.event_id']);
        if (consumer.hop === 'projector') {
          expect(consumer.attributes['eventloom.outcome']).toMatch(/^(applied|gap_filled)$/);
          const firestoreCalls = spans.filter((s) => s.hop === '@google-cloud/firestore' && s.parentSpanId === consumer.spanId);
          expect(firestoreCalls.length, `Firestore calls inside ${consumer.name}`).toBeGreaterThan(0);
        }
      }
      // The payment workflow's own events continued the trace (published under its span, projected in turn: above).
      expect(named('workflow payment').map((s) => parentOf(s)?.attributes['eventloom.event_type'])).toEqual(['OrderPlaced']);

      // The frame that carried the order is a child of the projector span that wrote the customer's view.
      const [frame] = named('subscription frame WatchCustomerOrders');
      expect(parentOf(frame!)?.name).toBe('project customerOrderHistory');
      expect(parentOf(parentOf(frame!)!)?.attributes['eventloom.event_type']).toBe('OrderPlaced');
    } finally {
      live.close();
    }
  });
});

describe('pipeline metrics', () => {
  it('count the events published and projected, a redelivery as a duplicate, and the outbox pending age', { timeout: 60_000 }, async () => {
    const orderDetails = { read_model: 'orderDetails' };
    const [publishedBefore, appliedBefore, duplicatesBefore] = await Promise.all([
      sample('eventloom_outbox_events_published_total', { topic: DOMAIN_EVENTS_TOPIC }),
      sample('eventloom_projection_events_total', { ...orderDetails, outcome: 'applied' }),
      sample('eventloom_projection_events_total', { ...orderDetails, outcome: 'duplicate' }),
    ]);
    const placedEvent = await placeOrderOverHttp();

    await vi.waitFor(
      async () => {
        expect(await sample('eventloom_outbox_events_published_total', { topic: DOMAIN_EVENTS_TOPIC })).toBeGreaterThan(publishedBefore);
        expect(await sample('eventloom_projection_events_total', { ...orderDetails, outcome: 'applied' })).toBe(appliedBefore + 1);
      },
      { timeout: 20_000, interval: 100 },
    );
    // Delivered again (a relay that died before clearing the marker publishes it twice): applied once, counted as a duplicate.
    await pipeline.pubsub.topic(DOMAIN_EVENTS_TOPIC, { messageOrdering: true }).publishMessage(toEventMessage(placedEvent!));
    await vi.waitFor(
      async () =>
        expect(await sample('eventloom_projection_events_total', { ...orderDetails, outcome: 'duplicate' })).toBe(duplicatesBefore + 1),
      { timeout: 20_000, interval: 100 },
    );
    expect(await sample('eventloom_projection_events_total', { ...orderDetails, outcome: 'applied' })).toBe(appliedBefore + 1);
    // Everything published: nothing waits in the outbox.
    const metrics = await (await fetch(`http://127.0.0.1:${ops.port}/metrics`)).text();
    expect(metrics).toMatch(/^eventloom_outbox_pending_age(_seconds)?(\{[^}]*\})? 0$/m);
  });
});

describe('a functions-framework process', () => {
  it('starts telemetry named after FUNCTION_TARGET and sends its spans over OTLP, continuing the pushed trace', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const [command, ...args] = projectorFunction('projectOrderDetails', port).command;
    const child = spawn(command!, args, {
      env: {
        ...process.env,
        FUNCTION_TARGET: 'projectOrderDetails',
        GOOGLE_CLOUD_PROJECT: pipeline.projectId,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ops.port}`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const event = await placeOrderOverHttp();
      const traceId = randomUUID().replaceAll('-', '');
      const parentSpanId = randomUUID().replaceAll('-', '').slice(0, 16);
      const message = toEventMessage(event!);
      const push = {
        subscription: 'projects/x/subscriptions/projector-orderDetails',
        message: {
          data: message.data.toString('base64'),
          attributes: { ...message.attributes, traceparent: `00-${traceId}-${parentSpanId}-01` },
          messageId: `m-${randomUUID()}`,
        },
      };
      await vi.waitFor(
        async () => {
          const answer = await fetch(`http://127.0.0.1:${port}/`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(push),
          });
          expect(answer.status).toBe(204);
        },
        { timeout: 30_000, interval: 200 },
      );
      await vi.waitFor(
        () => {
          const [project] = telemetry.recentTraces!.trace(traceId).filter((s) => s.name === 'project orderDetails');
          expect(project).toMatchObject({ parentSpanId, service: 'projectOrderDetails' });
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      child.kill();
      await exited;
    }
  });
});
