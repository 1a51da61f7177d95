/**
 * (r) How fast a read model is rebuilt from the whole store, against the rate of 32 concurrent plain
 * `create()`s of a document in the same run (issue 9's goal: a rebuild at least half as fast).
 *
 * The store is filled with orders the way the write side commits them (each order's placement, payment and
 * shipping in its stream, customers registered in theirs); then each read model is rebuilt into a new
 * generation (eventsInCommitOrder, folded a page at a time, each document written once per page) and
 * switched to. The baseline runs before and after the rebuilds and is averaged, so a drift of the machine's
 * load hits both sides.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { AnyProjection } from '../src/core/projection.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { rebuildProjection } from '../src/firestore/projectionRebuild.ts';
import { projections } from '../src/projections/all.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { stamped } from '../test/support/commits.ts';
import { customerRegistered, line, orderPaymentConfirmed, orderPlaced, orderShipped } from '../test/support/shopFixtures.ts';
import { runPool } from './appendThroughput.ts';
import { fixed, markdownTable, ratio, whole } from './markdown.ts';
import { startPhase } from './progress.ts';

export interface RebuildRatePlan {
  readonly orders: number;
  readonly customers: number;
  /** Events read and folded per page. */
  readonly pageSize: number;
}

export const REBUILD_RATE_PLANS: Record<'full' | 'quick', RebuildRatePlan> = {
  full: { orders: 1_000, customers: 100, pageSize: 300 },
  quick: { orders: 300, customers: 30, pageSize: 300 },
};

export interface RebuildRateResult {
  readonly events: number;
  readonly pageSize: number;
  /** 32 concurrent create()s of one small document each, per second. */
  readonly createsPerSecond: number;
  readonly rebuilds: ReadonlyArray<{ readonly readModel: string; readonly seconds: number; readonly eventsPerSecond: number }>;
}

const CONCURRENCY = 32;

export async function measureRebuildRate(db: Firestore, plan: RebuildRatePlan): Promise<RebuildRateResult> {
  const store = new FirestoreEventStore(db);
  const events = await fillStore(store, plan);

  const creates = async (label: string) => {
    const phase = startPhase(`(r) baseline: ${CONCURRENCY} concurrent create()s, ${label}`, events);
    const collection = db.collection('benchRebuildBaseline');
    const ms = await runPool(
      events,
      CONCURRENCY,
      async () => void (await collection.doc(randomUUID()).create({ at: Date.now(), n: 1 })),
      phase.tick,
    );
    phase.end();
    return events / (ms / 1000);
  };
  const before = await creates('before');

  const projector = new FirestoreProjector(db, store, shopEvents);
  const rebuilds = [];
  for (const projection of projections as readonly AnyProjection[]) {
    const phase = startPhase(`(r) rebuilding ${projection.name}`, events);
    let done = 0;
    const startedAt = performance.now();
    const result = await rebuildProjection({
      db,
      projector,
      projection,
      mode: 'rebuild',
      pageSize: plan.pageSize,
      onProgress: (progress) => {
        phase.tick(progress.done - done);
        done = progress.done;
      },
    });
    const seconds = (performance.now() - startedAt) / 1000;
    phase.end();
    if (!result.completed || result.eventsApplied !== events) {
      throw new Error(`rebuild of ${projection.name} applied ${result.eventsApplied} of ${events} events`);
    }
    rebuilds.push({ readModel: projection.name, seconds, eventsPerSecond: events / seconds });
  }

  const after = await creates('after');
  return { events, pageSize: plan.pageSize, createsPerSecond: (before + after) / 2, rebuilds };
}

/** Customers registered, then orders placed, paid and shipped, each order one commit to its own stream. */
async function fillStore(store: FirestoreEventStore, plan: RebuildRatePlan): Promise<number> {
  const total = plan.customers + plan.orders * 3;
  const phase = startPhase('(r) filling the store', total);
  const customerIds = Array.from({ length: plan.customers }, () => `bench-${randomUUID().slice(0, 8)}`);
  let next = 0;
  await runPool(plan.customers, CONCURRENCY, async () => {
    const customerId = customerIds[next++]!;
    await store.appendToStreams([
      { streamId: `customer-${customerId}`, expectedVersion: 0, events: stamped([customerRegistered(customerId)]) },
    ]);
    phase.tick();
  });
  let placed = 0;
  await runPool(plan.orders, CONCURRENCY, async () => {
    const n = placed++;
    const orderId = `bench-${randomUUID().slice(0, 8)}`;
    const customerId = customerIds[n % customerIds.length]!;
    const lines = [line(`product-${n % 20}`, 1 + (n % 3), 1_000 + 100 * (n % 20)), line(`product-${(n + 7) % 20}`, 1, 2_500)];
    const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
    const placedAt = new Date().toISOString();
    await store.appendToStreams([
      {
        streamId: `order-${orderId}`,
        expectedVersion: 0,
        events: stamped([
          orderPlaced(orderId, customerId, lines, placedAt),
          orderPaymentConfirmed(orderId, customerId, totalCents, { placedAt }),
          orderShipped(orderId, customerId, lines, { placedAt }),
        ]),
      },
    ]);
    phase.tick(3);
  });
  phase.end();
  return total;
}

export function renderRebuildRateSection(result: RebuildRateResult): string {
  return [
    '## (r) Rebuild rate',
    '',
    `Each read model rebuilt from a store of ${whole(result.events)} events (orders placed, paid and shipped, customers ` +
      `registered) into a new generation and switched to: read in commit order, folded ${result.pageSize} events a page, ` +
      `each document written once per page. Baseline: ${CONCURRENCY} concurrent plain create()s, ` +
      `${whole(result.createsPerSecond)}/s (mean of a run before and one after the rebuilds). Goal: ≥ 0.50×.`,
    '',
    markdownTable(
      ['read model', 'seconds', 'events/s', 'vs 32 create()s'],
      result.rebuilds.map((r) => [
        r.readModel,
        fixed(r.seconds, 2),
        whole(r.eventsPerSecond),
        ratio(r.eventsPerSecond / result.createsPerSecond),
      ]),
    ),
    '',
  ].join('\n');
}
