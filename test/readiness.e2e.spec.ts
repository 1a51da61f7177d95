/**
 * /readyz, and the operators' `projections` query, on the whole pipeline (emulators, relay, push subscriptions, projector functions): it turns unready
 * when a projector stops receiving while events it reads are pending, names that read model as stalled, and
 * turns ready again once the projector has caught up. The projector is "stopped" by taking the push endpoint
 * off its subscription (Pub/Sub then holds its messages, as during an outage of the function) and "restarted"
 * by putting it back.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiHealth } from '../src/apiHealth.ts';
import { projections } from '../src/projections/all.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { filteredSubscription, pushSubscriptionName } from '../src/pubsub/topology.ts';
import { handleHealth } from '../src/telemetry/health.ts';
import { append } from './support/commits.ts';
import { asStaff } from './support/identities.ts';
import { DOMAIN_EVENTS_TOPIC, graphql, type Pipeline, startPipeline } from './support/pipeline.ts';
import { customerRegistered } from './support/shopFixtures.ts';

let pipeline: Pipeline;
let server: Server;
let readyzUrl: string;

/** Stalled after 1 s pending: long enough for a working projector to keep up, short for the test. */
const STALL_AFTER_SECONDS = 1;

beforeAll(async () => {
  pipeline = await startPipeline({ stallAfterSeconds: STALL_AFTER_SECONDS });
  const health = apiHealth({
    db: async () => pipeline.db,
    topic: async () => pipeline.pubsub.topic(DOMAIN_EVENTS_TOPIC),
    relayRunning: () => true,
    projections,
    stallAfterSeconds: STALL_AFTER_SECONDS,
    projectionsCacheMs: 0,
  });
  server = createServer((request, response) => {
    if (!handleHealth(health.readiness, request, response)) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  readyzUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
}, 120_000);

afterAll(async () => {
  server?.close();
  await pipeline?.stop();
});

async function readyz(): Promise<{ status: number; stalled: string[]; ready: boolean }> {
  const response = await fetch(readyzUrl);
  const body = (await response.json()) as { ready: boolean; checks: { projections: { detail?: { stalled: string[] } } } };
  return { status: response.status, ready: body.ready, stalled: body.checks.projections.detail?.stalled ?? [] };
}

/** The read models the `projections` query reports stalled, and how many events the stalled ones have pending. */
async function stalledInQuery(): Promise<Array<{ readModel: string; pendingEvents: number }>> {
  const { data } = await graphql<{ projections: Array<{ readModel: string; stalled: boolean; pendingEvents: number }> }>(
    pipeline.api,
    '{ projections { readModel stalled pendingEvents } }',
    {},
    await asStaff('operator'),
  );
  return data!.projections.filter((p) => p.stalled).map(({ readModel, pendingEvents }) => ({ readModel, pendingEvents }));
}

describe('/readyz and stalled read models', () => {
  it('is unready while a projector is stopped with events pending, and ready again once it has caught up', {
    timeout: 120_000,
  }, async () => {
    await vi.waitFor(async () => expect(await readyz()).toEqual({ status: 200, ready: true, stalled: [] }), {
      timeout: 30_000,
      interval: 200,
    });

    // Only customerOrderHistory reads CustomerRegistered: it alone falls behind.
    const subscription = pipeline.pubsub.subscription(
      filteredSubscription(pushSubscriptionName('projectCustomerOrderHistory'), customerOrderHistoryProjection.eventTypes).name,
    );
    const [metadata] = await subscription.getMetadata();
    const pushEndpoint = metadata.pushConfig?.pushEndpoint;
    expect(pushEndpoint).toMatch(/^http:/);
    await subscription.modifyPushConfig({});

    const customerId = `c-${randomUUID()}`;
    await append(pipeline.store, `customer-${customerId}`, 0, [customerRegistered(customerId)]);
    await vi.waitFor(async () => expect(await readyz()).toEqual({ status: 503, ready: false, stalled: ['customerOrderHistory'] }), {
      timeout: 30_000,
      interval: 200,
    });
    // The operators' query says the same, typed.
    expect(await stalledInQuery()).toEqual([{ readModel: 'customerOrderHistory', pendingEvents: 1 }]);

    await subscription.modifyPushConfig({ pushEndpoint: pushEndpoint! });
    await vi.waitFor(async () => expect(await readyz()).toEqual({ status: 200, ready: true, stalled: [] }), {
      timeout: 60_000,
      interval: 200,
    });
    expect(await stalledInQuery()).toEqual([]);
    // Caught up: the event is in its view.
    const view = await pipeline.readModels.get(customerOrderHistoryProjection, customerId);
    expect(view).not.toBeNull();
  });
});
