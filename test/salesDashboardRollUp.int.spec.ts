/**
 * The sales dashboard's rolled-up views on the Firestore emulator (src/firestore/viewRollUp.ts): every order
 * event counted exactly once, whatever the deliveries (duplicates, out of order, concurrent), whenever roll-ups
 * run (racing new contributions), in reads and in the live view at every moment, and equal to a clean rebuild.
 * The expected figures are the projection's own `evolve` folded over every event once, in commit order.
 */
import type { Firestore } from '@google-cloud/firestore';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../src/core/eventStore.ts';
import { shardOf } from '../src/core/projection.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector, readModelCollectionName, type ProjectorOptions } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { rebuildProjection } from '../src/firestore/projectionRebuild.ts';
import { ROLL_UP_INTERVAL_MS, rollUpPending, rollUpShard, viewPartsOf } from '../src/firestore/viewRollUp.ts';
import {
  SALES_SHARDS,
  SALES_SUMMARY_ID,
  salesDashboardProjection,
  salesDayId,
  type SalesFigures,
} from '../src/projections/salesDashboard.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { committer } from './support/commits.ts';
import { testFirestore } from './support/firestore.ts';
import { line, orderCancelled, orderPaymentConfirmed, orderPlaced, orderShipped, T0 } from './support/shopFixtures.ts';

const projection = salesDashboardProjection;
const live = readModelCollectionName(projection);
const DAY = salesDayId(T0.slice(0, 10));

const databases: Firestore[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.terminate();
});

function setUp(options: ProjectorOptions = {}) {
  const db = testFirestore();
  databases.push(db);
  const store = new FirestoreEventStore(db);
  const projector = new FirestoreProjector(db, store, shopEvents, undefined, options);
  const readModels = new FirestoreReadModels(db);
  const commit = committer(store, { correlationId: 'roll-up' });
  return {
    db,
    projector,
    readModels,
    /**
     * Orders of every fate (shipped, cancelled, still placed), committed, nothing applied: each stream's events.
     * `count` orders, or the orders of the given numbers (orderNumbersInOneShard).
     */
    async commitOrders(orders: number | readonly number[]): Promise<Array<readonly EventEnvelope[]>> {
      const lines = [line('kettle', 2, 2500), line('mug', 1, 900)];
      const streams: Array<readonly EventEnvelope[]> = [];
      for (const i of typeof orders === 'number' ? Array.from({ length: orders }, (_, i) => i) : orders) {
        const [orderId, customerId] = [`o-${i}`, `c-${i % 4}`];
        const later =
          i % 3 === 0
            ? [orderPaymentConfirmed(orderId, customerId, 5900), orderShipped(orderId, customerId, lines)]
            : i % 3 === 1
              ? [orderCancelled(orderId, customerId, lines, 'PLACED')]
              : [];
        streams.push(await commit(`order-${orderId}`, [orderPlaced(orderId, customerId, lines), ...later]));
      }
      return streams;
    },
    read: (viewId: string) => readModels.get<SalesFigures>(projection, viewId),
    pending: async () => (await viewPartsOf(db, live).where('pending', '==', true).get()).size,
    /**
     * Rolls up every shard with pending contributions until none is left (no interval between roll-ups), as the
     * projection is deployed (`as`: with another shard count, say).
     */
    async rollUpEverything(as: typeof projection = projection): Promise<void> {
      while ((await rollUpPending(db, as, live, { minIntervalMs: 0 })).folded > 0);
    },
  };
}

/** The numbers of `count` orders whose streams (`order-o-<n>`) share one shard of the dashboard's views. */
function orderNumbersInOneShard(count: number): number[] {
  const byShard = new Map<number, number[]>();
  for (let i = 0; ; i++) {
    const shard = shardOf(`order-o-${i}`, SALES_SHARDS);
    const numbers = [...(byShard.get(shard) ?? []), i];
    if (numbers.length === count) return numbers;
    byShard.set(shard, numbers);
  }
}

/** A clock the test moves, for the projector's roll-ups and the shards' once-an-interval marker. */
function testClock(start = new Date('2026-12-01T12:00:00.000Z')) {
  let at = start.getTime();
  return {
    now: () => new Date(at),
    /** Moves the clock to `ms` after the start. */
    set: (ms: number) => {
      at = start.getTime() + ms;
    },
  };
}

/** The figures of one view: `evolve` folded over every event once, in each stream's order. */
function expectedFigures(streams: ReadonlyArray<readonly EventEnvelope[]>): SalesFigures {
  let view: SalesFigures | null = null;
  for (const event of streams.flat()) view = projection.evolve(view, event as never);
  return view!;
}

describe('the sales dashboard, rolled up', () => {
  it('counts every event once when deliveries come last first (gaps filled), again (duplicates) and concurrently', async () => {
    const shop = setUp({ rollUpIntervalMs: null });
    const streams = await shop.commitOrders(9);
    for (const events of streams) await shop.projector.apply(projection, events.at(-1)!);
    await Promise.all(streams.map(async (events) => Promise.all(events.map((event) => shop.projector.apply(projection, event)))));

    const expected = expectedFigures(streams);
    expect(expected).toMatchObject({ orders: 6, ordersByStatus: { PLACED: 3, PAID: 0, SHIPPED: 3, CANCELLED: 3 } });
    // Nothing rolled up yet: the views are their contributions, one per event and view.
    expect(await shop.pending()).toBe(2 * streams.flat().length);
    expect(await shop.read(SALES_SUMMARY_ID)).toEqual(expected);
    expect(await shop.read(DAY)).toEqual(expected);

    await shop.rollUpEverything();
    expect(await shop.pending()).toBe(0);
    expect(await shop.read(SALES_SUMMARY_ID)).toEqual(expected);
    expect(await shop.read(DAY)).toEqual(expected);
    // Deliveries after the roll-up are duplicates: they write no contribution again.
    for (const events of streams)
      for (const event of events) expect((await shop.projector.apply(projection, event)).status).toBe('duplicate');
    expect(await shop.pending()).toBe(0);
  });

  it('loses and doubles nothing when roll-ups race the contributions they fold', async () => {
    const shop = setUp({ rollUpIntervalMs: 0, rollUpAfter: 1 });
    const streams = await shop.commitOrders(12);
    let applying = true;
    const applies = Promise.all(
      streams.map(async (events) => {
        for (const event of events) await shop.projector.apply(projection, event);
      }),
    ).finally(() => {
      applying = false;
    });
    // Beside the projector's own roll-ups after each apply, a sweep after another, all the while.
    const sweeps = (async () => {
      let rounds = 0;
      while (applying || rounds === 0) {
        await rollUpPending(shop.db, projection, live, { minIntervalMs: 0 });
        rounds++;
      }
      return rounds;
    })();
    await applies;
    expect(await sweeps).toBeGreaterThan(0);

    const expected = expectedFigures(streams);
    expect(await shop.read(SALES_SUMMARY_ID)).toEqual(expected);
    await shop.rollUpEverything();
    expect(await shop.pending()).toBe(0);
    expect(await shop.read(SALES_SUMMARY_ID)).toEqual(expected);
    expect(await shop.read(DAY)).toEqual(expected);
  });

  it('rolls a shard up after an apply only once it has that many contributions, and counts what waits exactly', async () => {
    const clock = testClock();
    const shop = setUp({ rollUpAfter: 3, now: clock.now });
    const placed = (await shop.commitOrders(orderNumbersInOneShard(5))).map((events) => [events[0]!]);
    const figures = async () => ({ summary: await shop.read(SALES_SUMMARY_ID), day: await shop.read(DAY) });
    const exactly = (streams: ReadonlyArray<readonly EventEnvelope[]>) => ({
      summary: expectedFigures(streams),
      day: expectedFigures(streams),
    });

    // Two orders of one shard: below the threshold, each apply answers without a roll-up; the summary and the day
    // each have their two contributions pending, and reads count them.
    for (const events of placed.slice(0, 2)) await shop.projector.apply(projection, events[0]!);
    expect(await shop.pending()).toBe(4);
    expect(await figures()).toEqual(exactly(placed.slice(0, 2)));

    // The third contribution to the shard rolls it up, the summary's and the day's: nothing pending, the same figures.
    await shop.projector.apply(projection, placed[2]![0]!);
    expect(await shop.pending()).toBe(0);
    expect(await figures()).toEqual(exactly(placed.slice(0, 3)));

    // Two more wait for the next roll-up, which the last events of a burst get from the sweep.
    clock.set(ROLL_UP_INTERVAL_MS);
    for (const events of placed.slice(3)) await shop.projector.apply(projection, events[0]!);
    expect(await shop.pending()).toBe(4);
    expect(await figures()).toEqual(exactly(placed));
    expect(await rollUpPending(shop.db, projection, live, { now: clock.now })).toEqual({ shards: 2, folded: 4 });
    expect(await shop.pending()).toBe(0);
    expect(await figures()).toEqual(exactly(placed));
  });

  it("tries again, after the interval, a roll-up that the shard's marker refused", async () => {
    const clock = testClock();
    const shop = setUp({ rollUpAfter: 2, now: clock.now });
    const placed = (await shop.commitOrders(orderNumbersInOneShard(4))).map((events) => events[0]!);
    const summary = async () => shop.read(SALES_SUMMARY_ID);
    const upTo = (n: number) => expectedFigures(placed.slice(0, n).map((event) => [event]));

    // The sweep rolls the shards up at 0 ms.
    await shop.projector.apply(projection, placed[0]!);
    expect(await rollUpPending(shop.db, projection, live, { now: clock.now })).toEqual({ shards: 2, folded: 2 });

    // At 500 ms the projector has its two contributions, but the marker says the shards were rolled up 500 ms ago:
    // nothing folded, and the projector keeps its count.
    clock.set(500);
    await shop.projector.apply(projection, placed[1]!);
    expect(await shop.pending()).toBe(2);
    // At 1,000 ms it is only 500 ms since the projector's own try: it waits.
    clock.set(1_000);
    await shop.projector.apply(projection, placed[2]!);
    expect(await shop.pending()).toBe(4);
    expect(await summary()).toEqual(upTo(3));
    // At 1,500 ms the next apply folds everything pending.
    clock.set(1_500);
    await shop.projector.apply(projection, placed[3]!);
    expect(await shop.pending()).toBe(0);
    expect(await summary()).toEqual(upTo(4));
  });

  it('writes a shard at most once per interval, whoever rolls it up, and folds the rest on the next one', async () => {
    const shop = setUp({ rollUpIntervalMs: null });
    const [events] = await shop.commitOrders(1);
    await shop.projector.apply(projection, events![0]!);
    const pending = await viewPartsOf(shop.db, live).where('pending', '==', true).get();
    const shard = pending.docs.find((doc) => doc.get('viewId') === SALES_SUMMARY_ID)!.get('shard') as string;
    const t0 = new Date('2026-12-01T12:00:00.000Z');
    const at = (ms: number) => ({ now: () => new Date(t0.getTime() + ms) });

    expect(await rollUpShard(shop.db, projection, live, shard, at(0))).toEqual({ folded: 1, more: false });
    const written = (await viewPartsOf(shop.db, live).doc(shard).get()).updateTime!;
    await shop.projector.apply(projection, events![1]!);
    expect(await rollUpShard(shop.db, projection, live, shard, at(ROLL_UP_INTERVAL_MS - 1))).toEqual({ folded: 0, more: true });
    expect((await viewPartsOf(shop.db, live).doc(shard).get()).updateTime!.isEqual(written)).toBe(true);
    expect(await rollUpShard(shop.db, projection, live, shard, at(ROLL_UP_INTERVAL_MS))).toEqual({ folded: 1, more: false });
    expect(await shop.read(SALES_SUMMARY_ID)).toEqual(expectedFigures([events!.slice(0, 2)]));
  });

  it('shows every order in the live view, and no moment counts one twice or misses one across roll-ups', async () => {
    const shop = setUp({ rollUpIntervalMs: null });
    const streams = await shop.commitOrders(6);
    const placed = streams.map((events) => events[0]!);
    const watch = shop.readModels.watch<SalesFigures>(projection, SALES_SUMMARY_ID);
    expect((await watch.next()).value).toBeNull();

    /** The live view's next value, which must be the figures of exactly the events applied so far. */
    const seen: number[] = [];
    for (const [i, event] of placed.entries()) {
      await shop.projector.apply(projection, event);
      const next = (await watch.next()).value as SalesFigures;
      seen.push(next.orders);
      expect(next).toEqual(expectedFigures(placed.slice(0, i + 1).map((e) => [e])));
      // A roll-up moves the contributions into their shards: the view does not change, and nothing is emitted
      // for it (the next value is the next order's).
      await shop.rollUpEverything();
    }
    await watch.return?.();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await shop.pending()).toBe(0);
  });

  it('live from its shards alone, moves with each roll-up, never ahead of what is folded, across a raised count', async () => {
    const shop = setUp({ rollUpIntervalMs: null });
    const placed = (await shop.commitOrders(8)).map((events) => events[0]!);
    // Watched as an instance deployed with 64 shards watches it: 3 listeners (30, 30 and 4 shards).
    const wider = { ...projection, sharded: { ...projection.sharded!, shards: 64 } };
    const readModels = new FirestoreReadModels(shop.db, { rolledUpLive: 'shards' });
    const watch = readModels.watch<SalesFigures>(wider, SALES_SUMMARY_ID);
    expect((await watch.next()).value).toBeNull();
    expect(readModels.liveStats().listeners).toBe(3);

    let next = watch.next();
    /** Reads the live view until it shows `orders`; no value may show an order not yet folded into a shard. */
    const folded = async (orders: number) => {
      for (;;) {
        const value = (await next).value as SalesFigures;
        next = watch.next();
        expect(value.orders).toBeLessThanOrEqual(orders);
        if (value.orders === orders) return value;
      }
    };
    // Half under 16 shards, half under 64: contributions pending move nothing, each roll-up moves the view.
    for (const event of placed.slice(0, 4)) await shop.projector.apply(projection, event);
    expect(await shop.read(SALES_SUMMARY_ID)).toMatchObject({ orders: 4 });
    const quiet = new Promise((resolve) => setTimeout(resolve, 500, 'nothing'));
    expect(await Promise.race([next, quiet])).toBe('nothing');
    await shop.rollUpEverything();
    expect(await folded(4)).toEqual(expectedFigures(placed.slice(0, 4).map((e) => [e])));
    for (const event of placed.slice(4)) await shop.projector.apply(wider, event);
    await shop.rollUpEverything(wider);
    expect(await folded(8)).toEqual(expectedFigures(placed.map((e) => [e])));
    await watch.return?.();
  });

  it('takes more shards in a deploy, with no rebuild: contributions folded into either count merge exactly', async () => {
    const shop = setUp({ rollUpIntervalMs: null });
    const streams = await shop.commitOrders(24);
    const [before, after] = [streams.slice(0, 12), streams.slice(12)];
    for (const events of before) for (const event of events) await shop.projector.apply(projection, event);
    await shop.rollUpEverything();

    // The same projection, name and version, deployed with four times the shards: later streams hash over 64.
    const wider = { ...projection, sharded: { ...projection.sharded!, shards: 64 } };
    for (const events of after) for (const event of events) await shop.projector.apply(wider, event);
    const shards = new Set((await viewPartsOf(shop.db, live).get()).docs.map((doc) => Number(doc.get('shard').split('~')[1])));
    expect([...shards].some((shard) => shard >= SALES_SHARDS)).toBe(true);
    const expected = expectedFigures(streams);
    expect(await shop.read(SALES_SUMMARY_ID)).toEqual(expected);
    await shop.rollUpEverything(wider);
    expect(await shop.pending()).toBe(0);
    for (const view of [SALES_SUMMARY_ID, DAY]) {
      expect(await shop.read(view)).toEqual(expected);
      expect(await shop.readModels.get(wider, view)).toEqual(expected);
    }
    const replay = await rebuildProjection({ db: shop.db, projector: shop.projector, projection: wider, mode: 'replay', pageSize: 8 });
    expect(replay.comparison).toEqual({ same: 2, different: [], onlyLive: [], onlyReplayed: [] });
  });

  it('equals a clean rebuild: a replay compares the same, and a rebuild serves the same figures', async () => {
    const shop = setUp();
    const streams = await shop.commitOrders(10);
    for (const events of [...streams].reverse()) for (const event of events) await shop.projector.apply(projection, event);
    // With the projector's roll-ups at their usual interval, the live target holds shards and, most likely,
    // contributions still pending: the comparison merges both.
    const before = await shop.read(SALES_SUMMARY_ID);
    expect(before).toEqual(expectedFigures(streams));

    const replay = await rebuildProjection({ db: shop.db, projector: shop.projector, projection, mode: 'replay', pageSize: 4 });
    expect(replay.comparison).toEqual({ same: 2, different: [], onlyLive: [], onlyReplayed: [] });
    // The replay's scratch target is gone, view parts and all.
    expect((await viewPartsOf(shop.db, replay.target).get()).size).toBe(0);

    const rebuild = await rebuildProjection({ db: shop.db, projector: shop.projector, projection, mode: 'rebuild', pageSize: 4 });
    expect(rebuild.completed).toBe(true);
    const rebuilt = new FirestoreReadModels(shop.db, { registryMaxAgeMs: 0 });
    expect(await rebuilt.get(projection, SALES_SUMMARY_ID)).toEqual(before);
    expect(await rebuilt.get(projection, DAY)).toEqual(before);
    // The rebuilt generation holds shards only, written once per page: nothing pending.
    expect((await viewPartsOf(shop.db, rebuild.target).where('pending', '==', true).get()).size).toBe(0);
  });
});
