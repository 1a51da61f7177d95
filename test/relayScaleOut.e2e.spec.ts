/**
 * Scale-out: three API processes (src/main.ts, spawned as in production) share the emulators, so three outbox
 * relays share the partitions through leases. A burst of orders goes in, one process is killed with SIGKILL
 * mid-burst. Every committed event is published (a tap subscription on the domain topic sees it), published
 * more than once only if it sat in a partition the killed process held, and every read model ends identical
 * to a clean replay of the store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS, PENDING } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { StreamPartitions } from '../src/firestore/partitions.ts';
import { rebuildProjection } from '../src/firestore/projectionRebuild.ts';
import { CSRF_HEADER } from '../src/graphql/crossOrigin.ts';
import { RELAY_LEASES } from '../src/outbox/partitionLeases.ts';
import { projections } from '../src/projections/all.ts';
import { loadConfig } from '../src/config.ts';
import { personalDataFromConfig } from '../src/privacy/personalDataFromConfig.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { asCustomer } from './support/identities.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { DOMAIN_EVENTS_TOPIC, graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { freePort } from '../scripts/devPorts.ts';

const INSTANCES = 3;
const ORDERS = 30;
/**
 * The relays as deployed, with listeners rather than the emulators' default poll (test/outboxRelayListener.int.spec.ts
 * has polling relays share leases), and short leases so the test sees a takeover quickly (production's are 12 s).
 */
const RELAYS = { OUTBOX_DISCOVERY: 'listen', OUTBOX_LEASE_MS: '10000', OUTBOX_HEARTBEAT_MS: '1000' };

let pipeline: Pipeline;
const apis: ChildProcess[] = [];
/** How many times each event id was published on the domain topic. */
const copies = new Map<string, number>();

/** The live lease holder of each partition (null: none). */
async function holders(): Promise<Array<string | null>> {
  const leases = new Map((await pipeline.db.collection(RELAY_LEASES).get()).docs.map((d) => [Number(d.id), d]));
  return StreamPartitions.DEFAULT.all().map((p) => {
    const lease = leases.get(p);
    return lease && (lease.get('expiresAt') as number) > Date.now() ? ((lease.get('owner') as string | null) ?? null) : null;
  });
}

beforeAll(async () => {
  // The projector functions and the topology, but no relay in this process: the API processes run theirs.
  pipeline = await startPipeline({ startRelay: false });
  const [tap] = await pipeline.pubsub
    .topic(DOMAIN_EVENTS_TOPIC)
    .createSubscription(`tap-${randomUUID().slice(0, 8)}`, { enableMessageOrdering: true });
  tap.on('message', (message: Message) => {
    const eventId = message.attributes.eventId ?? message.attributes['ce-id'] ?? '';
    copies.set(eventId, (copies.get(eventId) ?? 0) + 1);
    message.ack();
  });

  // Started together: on a busy machine each takes a while to compile and connect.
  await Promise.all(
    Array.from({ length: INSTANCES }, async () => {
      const port = await freePort();
      const api = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, ...RELAYS, GOOGLE_CLOUD_PROJECT: pipeline.projectId, PORT: String(port), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      apis.push(api);
      await vi.waitFor(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/graphql?query=${encodeURIComponent('{__typename}')}`, {
            headers: { [CSRF_HEADER]: '1' },
          });
          expect(response.status).toBe(200);
        },
        { timeout: 240_000, interval: 500 },
      );
    }),
  );
  // The three relays have shared out every partition.
  await vi.waitFor(
    async () => {
      const now = await holders();
      expect(now.every(Boolean)).toBe(true);
      expect(new Set(now).size).toBe(INSTANCES);
    },
    { timeout: 60_000, interval: 200 },
  );
}, 420_000);

afterAll(async () => {
  for (const api of apis) if (api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
  await pipeline?.stop();
});

describe('three API instances, one killed mid-burst', () => {
  it('publishes every event, more than once only where the killed relay held the partition, and the read models match a replay', {
    timeout: 600_000,
  }, async () => {
    const customers = Array.from({ length: 6 }, () => `c-${randomUUID()}`);
    await setUpShop(pipeline.api, customers, 100_000);

    const victim = apis[0]!;
    const placeOrder = async (i: number) => {
      const customerId = customers[i % customers.length]!;
      const { data } = await graphql<{ placeOrder: { __typename: string } }>(
        pipeline.api,
        PLACE_ORDER,
        { input: orderInput(customerId) },
        await asCustomer(customerId),
      );
      expect(data?.placeOrder.__typename).toBe('PlaceOrderPayload');
    };
    let killedPartitions: number[] = [];
    for (let i = 0; i < ORDERS; i += 3) {
      await Promise.all([i, i + 1, i + 2].filter((n) => n < ORDERS).map(placeOrder));
      if (i === 9) {
        // Mid-burst, without warning: no release, its leases must expire.
        const now = await holders();
        killedPartitions = StreamPartitions.DEFAULT.all().filter((p) => now[p]?.split(':')[1] === String(victim.pid));
        victim.kill('SIGKILL');
      }
    }
    expect(killedPartitions.length).toBeGreaterThan(0);

    // Everything committed goes out: no event is left marked pending...
    await vi.waitFor(
      async () => expect((await pipeline.db.collectionGroup(EVENTS).where(PENDING, '==', true).count().get()).data().count).toBe(0),
      {
        timeout: 120_000,
        interval: 500,
      },
    );
    // ...and the tap saw every stored event at least once.
    const stored = (await pipeline.db.collectionGroup(EVENTS).get()).docs.map((d) => ({
      eventId: d.get('eventId') as string,
      partition: StreamPartitions.DEFAULT.partitionOf(d.get('streamId') as string),
    }));
    await vi.waitFor(() => expect(stored.filter((e) => !copies.has(e.eventId))).toEqual([]), { timeout: 60_000, interval: 200 });

    // Twice at most, and only in the partitions whose relay died between publishing and clearing the marker.
    const repeated = stored.filter((e) => (copies.get(e.eventId) ?? 0) > 1);
    expect(repeated.filter((e) => !killedPartitions.includes(e.partition))).toEqual([]);
    const publications = stored.reduce((sum, e) => sum + (copies.get(e.eventId) ?? 0), 0);
    console.info(
      JSON.stringify({ events: stored.length, publications, perEvent: publications / stored.length, repeated: repeated.length }),
    );

    // Once every projector has taken every event (a 2xx on its own push subscription)...
    const { projectors } = await import('../functions/index.ts');
    await vi.waitFor(
      () => {
        // The test pipeline runs the projectors without the payment workflow and its view (see startPipeline).
        for (const name of Object.keys(projectors).filter((n) => n !== 'projectPaymentDeadlines')) {
          const taken = new Set(
            pipeline
              .deliveries(name)
              .filter((d) => d.status >= 200 && d.status < 300)
              .map((d) => d.eventId),
          );
          expect({ name, missing: stored.filter((e) => !taken.has(e.eventId)).length }).toEqual({ name, missing: 0 });
        }
      },
      { timeout: 120_000, interval: 500 },
    );
    // ...every read model is what a clean replay of the store builds.
    const protection = personalDataFromConfig(loadConfig(), pipeline.db).protection;
    const projector = new FirestoreProjector(pipeline.db, pipeline.store, shopEvents, protection);
    for (const projection of projections.filter((p) => p.name !== 'paymentDeadlines')) {
      const result = await rebuildProjection({ db: pipeline.db, projector, projection, mode: 'replay' });
      expect({ projection: projection.name, ...result.comparison, same: undefined }).toEqual({
        projection: projection.name,
        different: [],
        onlyLive: [],
        onlyReplayed: [],
        same: undefined,
      });
    }
  });
});
