/**
 * Replay and rebuild over the real pipeline: a replay into a scratch target matches the live read
 * model; a rebuild builds a new generation while the old one serves, resumes after a crash, switches
 * over atomically, and the live projector writes to the new generation from then on.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector, readModelCollectionName, registryRef } from '../src/firestore/firestoreProjector.ts';
import { rebuildProjection } from '../src/firestore/projectionRebuild.ts';
import { projectionStatus } from '../src/firestore/firestoreProjectionStatus.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { asCustomer } from './support/identities.ts';
import { testPersonalData } from './support/personalData.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { viewsOf } from '../src/firestore/readModelLayout.ts';

let pipeline: Pipeline;
let projector: FirestoreProjector;
const customerId = `c-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  pipeline = await startPipeline();
  projector = new FirestoreProjector(pipeline.db, pipeline.store, shopEvents, testPersonalData(pipeline.db).protection);
  await setUpShop(pipeline.api, [customerId]);
  for (let i = 0; i < 4; i++) await graphql(pipeline.api, PLACE_ORDER, { input: orderInput(customerId) }, await asCustomer(customerId));
  await waitForOrders(readModelCollectionName(customerOrderHistoryProjection), 4);
}, 60_000);
afterAll(() => pipeline?.stop());

/** Until the customer's view has all their orders and their registration (a stream of its own). */
async function waitForOrders(target: string, count: number) {
  await vi.waitFor(
    async () => {
      const view = await viewsOf(pipeline.db, target).doc(customerId).get();
      expect({ orderCount: view.get('orderCount'), registered: view.get('name') !== null }).toEqual({
        orderCount: count,
        registered: true,
      });
    },
    { timeout: 20_000, interval: 100 },
  );
}

/** Every event in the store: what a whole replay applies. */
async function storedEvents(): Promise<number> {
  return (await pipeline.db.collectionGroup(EVENTS).count().get()).data().count;
}

/** Every stream in the store: each has a checkpoint once its events are applied. */
/**
 * How many streams the store holds, and how many of them hold an event customer order history reads. The live
 * projector checkpoints only the latter (it acknowledges other types without writing); a rebuild's page may
 * checkpoint the streams it passed over too.
 */
async function storedStreams(): Promise<{ all: number; read: number }> {
  const events = await pipeline.db.collectionGroup(EVENTS).select('streamId', 'type').get();
  const read = new Set<string>(customerOrderHistoryProjection.eventTypes);
  const streams = (docs: typeof events.docs) => new Set(docs.map((d) => d.get('streamId') as string)).size;
  return { all: streams(events.docs), read: streams(events.docs.filter((d) => read.has(d.get('type') as string))) };
}

async function documents(target: string) {
  const snapshot = await viewsOf(pipeline.db, target).get();
  return Object.fromEntries(snapshot.docs.map((d) => [d.id, d.data()]));
}

describe('replay and rebuild', () => {
  it('replays into a scratch target that matches the live read model, and cleans up after itself', async () => {
    const progress: string[] = [];
    const events = await storedEvents();
    const result = await rebuildProjection({
      db: pipeline.db,
      projector,
      projection: customerOrderHistoryProjection,
      mode: 'replay',
      pageSize: 5,
      onProgress: ({ phase, done, total }) => progress.push(`${phase} ${done}/${total}`),
    });
    expect(result.completed).toBe(true);
    expect(result.eventsApplied).toBe(events);
    // The one customer of this file, the same in both.
    expect(result.comparison).toEqual({ same: 1, different: [], onlyLive: [], onlyReplayed: [] });
    // A page of five at a time, then the one document compared.
    const pages = Array.from({ length: Math.ceil(events / 5) }, (_, i) => `replay ${Math.min(5 * (i + 1), events)}/${events}`);
    expect(progress).toEqual([...pages, 'compare 1/1']);
    expect((await viewsOf(pipeline.db, result.target).limit(1).get()).empty).toBe(true);
  });

  it('rebuilds a new generation, resumes after a crash, switches over, and keeps it live', async () => {
    const events = await storedEvents();
    const live = readModelCollectionName(customerOrderHistoryProjection);
    const crashed = await rebuildProjection({
      db: pipeline.db,
      projector,
      projection: customerOrderHistoryProjection,
      mode: 'rebuild',
      pageSize: 4,
      stopAfterPages: 1,
    });
    expect(crashed).toMatchObject({ completed: false, eventsApplied: 4 });
    // Until the switch, the old target is the one served.
    expect((await registryRef(pipeline.db, customerOrderHistoryProjection).get()).exists).toBe(false);

    const resumed = await rebuildProjection({
      db: pipeline.db,
      projector,
      projection: customerOrderHistoryProjection,
      mode: 'rebuild',
      pageSize: 4,
    });
    expect(resumed).toMatchObject({ completed: true, resumed: true, target: crashed.target, previousTarget: live });
    // Every stored event once: the four before the crash and the rest after it.
    expect(resumed.eventsApplied).toBe(events);
    expect(await documents(resumed.target)).toEqual(await documents(live));
    expect((await registryRef(pipeline.db, customerOrderHistoryProjection).get()).get('active')).toBe(resumed.target);

    // The live projector now writes to the new generation, and the API reads from it.
    await graphql(pipeline.api, PLACE_ORDER, { input: orderInput(customerId) }, await asCustomer(customerId));
    await waitForOrders(resumed.target, 5);
    expect((await viewsOf(pipeline.db, live).doc(customerId).get()).get('orderCount')).toBe(4);
    await vi.waitFor(async () => expect((await pipeline.readModels.get(customerOrderHistoryProjection, customerId))?.orderCount).toBe(5));

    const status = await projectionStatus(pipeline.db, customerOrderHistoryProjection);
    expect(status).toMatchObject({ activeTarget: resumed.target, pendingDeadLetters: 0, rebuilding: null });
    const stored = await storedStreams();
    expect(status.streams).toBeGreaterThanOrEqual(stored.read);
    expect(status.streams).toBeLessThanOrEqual(stored.all);
  });
});
