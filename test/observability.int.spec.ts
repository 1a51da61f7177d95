/**
 * Traces, metrics and health of the API as src/main.ts starts it (startApi with a TelemetryConfig), over real
 * HTTP on the emulators, with the real OpenTelemetry SDK and its in-memory trace buffer read back from the
 * operator port, as `npm run traces` reads it:
 * - one trace from an incoming `traceparent` through the HTTP request, the GraphQL operation, the command,
 *   its append and the Firestore commit, down to the `traceparent` stored in the event's metadata;
 * - the metrics on /metrics move as commands run and subscribers come and go;
 * - /healthz and /readyz answer on the public port, /metrics only on the operator port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, loadTelemetryConfig } from '../src/config.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { createLogger } from '../src/logger.ts';
import { startApi, type RunningApi } from '../src/startApi.ts';
import type { SpanRecord } from '../src/telemetry/recentTraces.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { CUSTOMER_ORDERS_SUBSCRIPTION, orderInput, PLACE_ORDER } from './support/orders.ts';
import { openSse } from './support/rawStreams.ts';

const projectId = uniqueProjectId('observability');
const env = { ...process.env, GOOGLE_CLOUD_PROJECT: projectId, LOG_LEVEL: 'silent', OPS_PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: undefined };
const config = { ...loadConfig(env), port: 0 };
const telemetry = loadTelemetryConfig(env);
const db = testFirestore(projectId);
const pubsub = new PubSub({ projectId });
let api: RunningApi;
const customerId = `c-${randomUUID()}`;

const graphqlUrl = () => `http://127.0.0.1:${api.port}/graphql`;
const opsUrl = (path: string) => `http://127.0.0.1:${api.opsPort}${path}`;

async function send(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const response = await fetch(graphqlUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, Record<string, unknown>>; errors?: unknown[] };
}

async function placeOrder(headers: Record<string, string> = {}) {
  const body = await send(PLACE_ORDER, { input: orderInput(customerId) }, { ...(await asCustomer(customerId)), ...headers });
  expect(body.data?.placeOrder?.__typename).toBe('PlaceOrderPayload');
  return body.data!.placeOrder as { orderId: string; streamId: string };
}

/** The value of one Prometheus sample, 0 when it is absent. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(opsUrl('/metrics'))).text();
  const line = text.split('\n').find((l) => {
    if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) return false;
    return Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`));
  });
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function tracesOf(correlationId: string): Promise<Array<{ traceId: string; spans: SpanRecord[] }>> {
  const response = await fetch(opsUrl(`/traces?correlationId=${encodeURIComponent(correlationId)}`));
  return ((await response.json()) as { traces: Array<{ traceId: string; spans: SpanRecord[] }> }).traces;
}

beforeAll(async () => {
  await Promise.all([pubsub.createTopic(config.domainEventsTopic), pubsub.createTopic(config.integrationEventsTopic)]);
  api = await startApi(config, { clients: { db, pubsub }, logger: createLogger({ level: 'silent' }), telemetry });
  const catalog = await asStaff('catalog');
  for (const [productId, name, priceCents] of [
    ['sku-kettle', 'Kettle', 2500],
    ['sku-mug', 'Mug', 900],
  ] as const) {
    await send(
      'mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename } }',
      { input: { productId, name, priceCents, initialStock: 1000 } },
      catalog,
    );
  }
  const registered = await send(
    'mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename } }',
    { input: { customerId, name: 'Ada', email: 'ada@example.com' } },
    await asCustomer(customerId),
  );
  expect(registered.data?.registerCustomer?.__typename).toBe('CustomerCommandPayload');
}, 60_000);

afterAll(async () => {
  await api?.close();
  await pubsub.close();
  await db.terminate();
});

describe('traces', () => {
  it('follow one order from the incoming traceparent to the event metadata, in one trace without orphans', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const correlationId = `trace-test-${randomUUID()}`;
    const { streamId } = await placeOrder({ traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-correlation-id': correlationId });

    const expected = ['HTTP POST /graphql', 'mutation PlaceOrder', 'graphql.execute', 'command PlaceOrder', 'append'];
    let spans: SpanRecord[] = [];
    await vi.waitFor(
      async () => {
        const traces = await tracesOf(correlationId);
        expect(traces.map((t) => t.traceId)).toEqual([traceId]);
        spans = traces[0]!.spans;
        expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(expected));
      },
      { timeout: 10_000, interval: 50 },
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const named = (name: string) => spans.find((s) => s.name === name)!;
    const ancestors = (span: SpanRecord): string[] => {
      const parent = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
      return parent ? [parent.name, ...ancestors(parent)] : [];
    };

    // Every span belongs to the trace, and hangs from another of its spans or from the caller's span.
    for (const span of spans) {
      expect(span.traceId).toBe(traceId);
      expect(span.parentSpanId === callerSpanId || byId.has(span.parentSpanId ?? '')).toBe(true);
    }
    expect(named('HTTP POST /graphql').parentSpanId).toBe(callerSpanId);
    expect(ancestors(named('command PlaceOrder'))).toEqual(['graphql.execute', 'mutation PlaceOrder', 'HTTP POST /graphql']);
    expect(named('append').parentSpanId).toBe(named('command PlaceOrder').spanId);
    // The Firestore client's own span of the commit (a batch or a transaction, as the store commits), inside the append.
    const insideAppend = spans.filter((s) => s.hop === '@google-cloud/firestore' && ancestors(s).includes('append')).map((s) => s.name);
    expect(insideAppend).toContainEqual(expect.stringMatching(/^(Batch|Transaction)\.Commit$/));
    expect(named('command PlaceOrder').attributes['eventloom.outcome']).toBe('ok');

    // The events carry the command's trace context, for the relay and the projectors to continue.
    const events = await new FirestoreEventStore(db).readStream(streamId);
    expect(events.map((e) => e.metadata.traceparent)).toEqual(events.map(() => `00-${traceId}-${named('command PlaceOrder').spanId}-01`));
    expect(events.map((e) => e.metadata.correlationId)).toEqual(events.map(() => correlationId));
  });

  it('start a trace of their own for a request without traceparent, and keep it out of other requests', async () => {
    const correlationId = `untraced-${randomUUID()}`;
    await placeOrder({ 'x-correlation-id': correlationId });
    await vi.waitFor(
      async () => {
        const traces = await tracesOf(correlationId);
        expect(traces).toHaveLength(1);
        expect(traces[0]!.spans.find((s) => s.name === 'HTTP POST /graphql')?.parentSpanId).toBeNull();
      },
      { timeout: 10_000, interval: 50 },
    );
  });
});

describe('metrics on the operator port', () => {
  it('count commands by name and outcome, and time commands and appends', async () => {
    const ok = { command: 'PlaceOrder', outcome: 'ok' };
    const [before, appendsBefore] = await Promise.all([
      sample('eventloom_commands_total', ok),
      sample('eventloom_append_duration_count', { outcome: 'ok' }),
    ]);
    await placeOrder();
    await placeOrder();
    expect(await sample('eventloom_commands_total', ok)).toBe(before + 2);
    expect(await sample('eventloom_append_duration_count', { outcome: 'ok' })).toBe(appendsBefore + 2);
    expect(await sample('eventloom_command_duration_count', ok)).toBeGreaterThanOrEqual(2);

    // A command a rule refuses counts as rejected: registering the same customer again.
    const rejected = { command: 'RegisterCustomer', outcome: 'rejected' };
    const rejectedBefore = await sample('eventloom_commands_total', rejected);
    const again = await send(
      'mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename } }',
      { input: { customerId, name: 'Ada', email: 'ada@example.com' } },
      await asCustomer(customerId),
    );
    expect(again.data?.registerCustomer?.__typename).toBe('CustomerAlreadyRegistered');
    expect(await sample('eventloom_commands_total', rejected)).toBe(rejectedBefore + 1);
  });

  it('report the live subscribers and listeners of the instance', async () => {
    const before = await sample('eventloom_live_subscribers');
    const sse = openSse(graphqlUrl(), CUSTOMER_ORDERS_SUBSCRIPTION, { customerId }, await asCustomer(customerId));
    try {
      await vi.waitFor(async () => expect(await sample('eventloom_live_subscribers')).toBe(before + 1), { timeout: 10_000, interval: 50 });
      expect(await sample('eventloom_live_listeners')).toBeGreaterThanOrEqual(1);
    } finally {
      sse.close();
    }
    await vi.waitFor(async () => expect(await sample('eventloom_live_subscribers')).toBe(before), { timeout: 10_000, interval: 50 });
  });
});

describe('health', () => {
  it('/healthz and /readyz answer on the public port; /metrics and /traces do not', async () => {
    const base = `http://127.0.0.1:${api.port}`;
    const alive = await fetch(`${base}/healthz`);
    expect(alive.status).toBe(200);
    // The dependencies: no projector runs beside this API, so the read models' check is left out here
    // (test/readiness.e2e.spec.ts covers it on the whole pipeline).
    const ready = await fetch(`${base}/readyz?exclude=projections`);
    const report = (await ready.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
    expect({ status: ready.status, report }).toEqual({
      status: 200,
      report: { ready: true, checks: { firestore: { ok: true }, pubsub: { ok: true }, relay: { ok: true } } },
    });
    // The startup probe's path: the same checks, with no query string for a probe to mangle.
    const startup = await fetch(`${base}/startupz`);
    expect({ status: startup.status, report: await startup.json() }).toEqual({ status: 200, report });
    const everything = (await (await fetch(`${base}/readyz`)).json()) as { checks: object };
    expect(Object.keys(everything.checks).sort()).toEqual(['firestore', 'projections', 'pubsub', 'relay']);
    expect((await fetch(`${base}/metrics`)).status).not.toBe(200);
    expect((await fetch(`${base}/traces`)).status).not.toBe(200);
  });
});
