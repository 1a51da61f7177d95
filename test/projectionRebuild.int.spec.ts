import type { Firestore } from '@google-cloud/firestore';
import { afterEach, describe, expect, it } from 'vitest';
import { type ProductEvent, stockBucketStreamId } from '../src/catalog/productEvents.ts';
import type { DomainEvent, EventEnvelope } from '../src/core/eventStore.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector, readModelCollectionName, registryRef } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { rebuildProjection } from '../src/firestore/projectionRebuild.ts';
import { mergeParts, viewPartsOf } from '../src/firestore/viewRollUp.ts';
import { inventoryCountProjection, type InventoryCount } from '../src/projections/inventoryCount.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { salesDashboardProjection, type SalesFigures } from '../src/projections/salesDashboard.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { committer } from './support/commits.ts';
import { project } from './support/envelopes.ts';
import { testFirestore } from './support/firestore.ts';
import {
  customerDetailsChanged,
  customerRegistered,
  line,
  orderCancelled,
  orderPaymentConfirmed,
  orderPlaced,
  orderShipped,
  productAdded,
  stockReserved,
} from './support/shopFixtures.ts';
import { viewsOf } from '../src/firestore/readModelLayout.ts';

const projection = customerOrderHistoryProjection;
const live = readModelCollectionName(projection);

const databases: Firestore[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.terminate();
});

function setUp() {
  const db = testFirestore();
  databases.push(db);
  const store = new FirestoreEventStore(db);
  const projector = new FirestoreProjector(db, store, shopEvents);
  /** Commits events to a stream, as a command does; nothing applies them. */
  const commit = committer(store, { correlationId: 'rebuild' });
  return {
    db,
    projector,
    commit,
    /** Commits events and applies them to the live read model, as the projector function would. */
    async record(streamId: string, events: DomainEvent[]): Promise<void> {
      for (const event of await commit(streamId, events)) await projector.apply(projection, event);
    },
    view: async (target: string, customerId: string) =>
      (await viewsOf(db, target).doc(customerId).get()).data() as CustomerOrderHistory | undefined,
  };
}

describe('replay that finds a difference', () => {
  it('reports the documents that differ, that only the live read model has, and that only the replay has, and changes neither', async () => {
    const shop = setUp();
    for (const customerId of ['c-same', 'c-changed', 'c-lost'])
      await shop.record(`customer-${customerId}`, [customerRegistered(customerId)]);
    // The live read model drifted from what its events say (a bug in older projection code, a hand edit).
    await viewsOf(shop.db, live).doc('c-changed').update({ name: 'Edited By Hand' });
    await viewsOf(shop.db, live).doc('c-lost').delete();
    const ghost = { ...(await shop.view(live, 'c-same'))!, customerId: 'c-ghost' };
    await viewsOf(shop.db, live).doc('c-ghost').set(ghost);

    const result = await rebuildProjection({ db: shop.db, projector: shop.projector, projection, mode: 'replay' });

    expect(result).toMatchObject({ completed: true, eventsApplied: 3, previousTarget: live });
    expect(result.comparison).toEqual({ same: 1, different: ['c-changed'], onlyLive: ['c-ghost'], onlyReplayed: ['c-lost'] });
    // A replay only reports: the live read model is as it was, and the scratch target is gone.
    expect((await shop.view(live, 'c-changed'))?.name).toBe('Edited By Hand');
    expect(await shop.view(live, 'c-lost')).toBeUndefined();
    expect(await shop.view(live, 'c-ghost')).toEqual(ghost);
    expect((await viewsOf(shop.db, result.target).limit(1).get()).empty).toBe(true);
    expect((await registryRef(shop.db, projection).get()).exists).toBe(false);
  });
});

/**
 * The store's Firestore, but the rebuild's own transaction (its switch-over to the new generation) first
 * lets `write` commit: an event recorded after the rebuild read its last page of events.
 */
function committingBeforeSwitch(db: Firestore, write: () => Promise<unknown>): Firestore {
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'runTransaction') {
        return async (...args: Parameters<Firestore['runTransaction']>) => {
          await write();
          return target.runTransaction(...args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

describe('rebuild with writes made during it', () => {
  it('catches up on events committed after it read its last page, so the new generation misses nothing', async () => {
    const shop = setUp();
    for (const customerId of ['c-1', 'c-2', 'c-3']) await shop.record(`customer-${customerId}`, [customerRegistered(customerId)]);
    let lateWrites = 0;
    const db = committingBeforeSwitch(shop.db, async () => {
      lateWrites++;
      // A new customer, and a change to one the rebuild has already applied; the live projector has
      // not run for either yet.
      await shop.commit('customer-c-late', [customerRegistered('c-late', 'Late Comer', 'late@example.com')]);
      await shop.commit('customer-c-1', [customerDetailsChanged('c-1', 'Ada Renamed', 'ada@new.example.com')]);
    });
    const progress: string[] = [];

    const result = await rebuildProjection({
      db,
      projector: shop.projector,
      projection,
      mode: 'rebuild',
      pageSize: 2,
      onProgress: ({ phase, done, total }) => progress.push(`${phase} ${done}/${total}`),
    });

    expect(lateWrites).toBe(1);
    expect(result).toMatchObject({ completed: true, resumed: false, previousTarget: live, eventsApplied: 5 });
    expect(progress).toEqual(['replay 2/3', 'replay 3/3', 'catch-up 5/5']);
    expect((await registryRef(shop.db, projection).get()).get('active')).toBe(result.target);
    // Both late events are in the new generation...
    expect(await shop.view(result.target, 'c-late')).toMatchObject({ name: 'Late Comer', email: 'late@example.com' });
    expect(await shop.view(result.target, 'c-1')).toMatchObject({ name: 'Ada Renamed', email: 'ada@new.example.com' });
    // ...applied by the rebuild itself, not by a projector: the old target never saw them.
    expect(await shop.view(live, 'c-late')).toBeUndefined();
    expect((await shop.view(live, 'c-1'))?.name).toBe('Ada Lovelace');
  });
});

describe('replay of a sharded read model', () => {
  it('folds pages into the same shard documents the live projector wrote, whatever order and however often events were delivered', async () => {
    const shop = setUp();
    const lines = [line('kettle', 2, 2500), line('mug', 1, 900)];
    const streams: Array<readonly EventEnvelope[]> = [];
    for (let i = 0; i < 12; i++) {
      const orderId = `o-${i}`;
      const placed = orderPlaced(orderId, `c-${i % 3}`, lines);
      const later =
        i % 3 === 0
          ? [orderPaymentConfirmed(orderId, `c-${i % 3}`, 5900), orderShipped(orderId, `c-${i % 3}`, lines)]
          : i % 3 === 1
            ? [orderCancelled(orderId, `c-${i % 3}`, lines, 'PLACED')]
            : [];
      streams.push(await shop.commit(`order-${orderId}`, [placed, ...later]));
    }
    // Live deliveries: last events first (gaps filled from the store), then everything again (duplicates).
    for (const events of streams) await shop.projector.apply(salesDashboardProjection, events.at(-1)!);
    for (const events of [...streams].reverse()) for (const event of events) await shop.projector.apply(salesDashboardProjection, event);

    const result = await rebuildProjection({
      db: shop.db,
      projector: shop.projector,
      projection: salesDashboardProjection,
      mode: 'replay',
      pageSize: 5,
    });

    const live = await viewPartsOf(shop.db, readModelCollectionName(salesDashboardProjection)).get();
    // The summary and one day, each in the shards its orders hash to and the contributions not rolled up yet.
    expect(live.docs.every((doc) => /^(summary|day-\d{4}-\d{2}-\d{2})~\d{2}(~[\w-]+)?$/.test(doc.id))).toBe(true);
    // The views compare merged: the live target's contributions against the replay's shards.
    expect(result.comparison).toEqual({ same: 2, different: [], onlyLive: [], onlyReplayed: [] });
    const [summary] = mergeParts<SalesFigures>(salesDashboardProjection, ['summary'], live.docs);
    expect(summary).toMatchObject({ orders: 8, revenueCents: 8 * 5900, ordersByStatus: { PLACED: 4, PAID: 0, SHIPPED: 4, CANCELLED: 4 } });
  });
});

describe('rebuild of a read model kept in shards with summaries (inventory)', () => {
  it('writes the same shards and summaries a live projector did, and serves the low-stock query from the new generation', async () => {
    const shop = setUp();
    const products = ['p-a', 'p-b', 'p-c'];
    const streams: Array<readonly EventEnvelope[]> = [];
    for (const [i, productId] of products.entries()) {
      streams.push(await shop.commit(`product-${productId}`, [productAdded(productId, 1000, 20 + i, `Product ${i}`, 4)]));
      for (let k = 0; k < 4; k++) {
        const reservations = Array.from({ length: 1 + ((i + k) % 3) }, (_, n) => stockReserved(productId, `o-${k}-${n}`, 1 + i));
        streams.push(await shop.commit(stockBucketStreamId(productId, k), reservations));
      }
    }
    // Live deliveries: each stream's last event first (its gap filled from the store), then all again (duplicates).
    for (const events of [...streams].reverse()) await shop.projector.apply(inventoryCountProjection, events.at(-1)!);
    for (const events of streams) for (const event of events) await shop.projector.apply(inventoryCountProjection, event);

    const replay = await rebuildProjection({
      db: shop.db,
      projector: shop.projector,
      projection: inventoryCountProjection,
      mode: 'replay',
      pageSize: 4,
    });
    const live = await viewsOf(shop.db, readModelCollectionName(inventoryCountProjection)).get();
    // Per product: its summary, the catalog shard and one shard per bucket.
    expect(live.size).toBe(products.length * (1 + 1 + 4));
    expect(replay.comparison).toEqual({ same: live.size, different: [], onlyLive: [], onlyReplayed: [] });

    const rebuilt = await rebuildProjection({
      db: shop.db,
      projector: shop.projector,
      projection: inventoryCountProjection,
      mode: 'rebuild',
      pageSize: 4,
    });
    const readModels = new FirestoreReadModels(shop.db, { registryMaxAgeMs: 0 });
    const lowStock = await readModels.list<InventoryCount>(inventoryCountProjection, { first: 10, where: { lowStock: true } });
    const everything = await readModels.getMany<InventoryCount>(inventoryCountProjection, products);
    expect(rebuilt.target).not.toBe(readModelCollectionName(inventoryCountProjection));
    expect(lowStock.map((v) => v.view)).toEqual(everything.filter((view) => view!.lowStock));
    expect(lowStock.length).toBeGreaterThan(0);
    expect(everything.map((view) => view!.available)).toEqual(
      products.map(
        (productId) => project(inventoryCountProjection, streams.flat() as Array<EventEnvelope<ProductEvent>>)[productId]!.available,
      ),
    );
  });
});
