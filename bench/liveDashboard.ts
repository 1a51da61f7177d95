/**
 * (t) What the live sales dashboard costs its listeners, by what it listens to (LIVE_ROLLED_UP_VIEWS,
 * src/firestore/firestoreReadModels.ts): `parts`, the summary's shards and every pending contribution, against
 * `shards`, its shards alone. The baseline is `parts`, in the same run, on the same writes.
 *
 * Orders are committed and applied to the sales dashboard by several writers at once, through the real projector
 * (a contribution per event, a shard rolled up after every 8 of an instance's contributions to it, at most once a
 * second). Beside the API's two live views, a raw listener on each of their queries counts the document changes
 * Firestore sends it: what an API instance's listener takes per order. Then how long after the last apply each
 * live view shows every order: `shards` waits for the roll-ups, and for the sweep (Cloud Scheduler's, every
 * minute; here called at once) to fold what the last events left pending.
 */
import { randomUUID } from 'node:crypto';
import { FieldPath, type Firestore, type Query } from '@google-cloud/firestore';
import { viewDocumentIds } from '../src/core/projection.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector, readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { viewPartsOf, viewPartsQuery } from '../src/firestore/viewRollUp.ts';
import { SALES_SUMMARY_ID, salesDashboardProjection, type SalesFigures } from '../src/projections/salesDashboard.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { stamped } from '../test/support/commits.ts';
import { line, orderPlaced } from '../test/support/shopFixtures.ts';
import { runPool } from './appendThroughput.ts';
import { withTimeout } from './endToEndLatency.ts';
import { fixed, markdownTable, ratio, whole } from './markdown.ts';
import { startPhase } from './progress.ts';

export interface LiveDashboardPlan {
  readonly orders: number;
  readonly writers: number;
}

export const LIVE_DASHBOARD_PLANS: Record<'full' | 'quick', LiveDashboardPlan> = {
  full: { orders: 1_000, writers: 16 },
  quick: { orders: 300, writers: 16 },
};

interface ListenedTo {
  /** Document changes the raw listener on the live view's query was sent during the burst. */
  readonly changes: number;
  /** Values a subscriber of the API's live view received during the burst (conflated, as every subscriber's are). */
  readonly values: number;
  /** From the last apply to the live view showing every order, ms (for `shards`, the sweep included). */
  readonly caughtUpMs: number;
}

export interface LiveDashboardResult {
  readonly orders: number;
  readonly burstSeconds: number;
  readonly parts: ListenedTo;
  readonly shards: ListenedTo;
  /** Orders the `shards` view showed once the burst's own roll-ups were done, before the sweep. */
  readonly shardsBeforeSweep: number;
}

const CATCH_UP_TIMEOUT_MS = 60_000;

export async function measureLiveDashboard(db: Firestore, plan: LiveDashboardPlan): Promise<LiveDashboardResult> {
  const store = new FirestoreEventStore(db);
  const projector = new FirestoreProjector(db, store, shopEvents);
  const projection = salesDashboardProjection;
  const target = readModelCollectionName(projection);

  // Raw listeners on the two queries the live views listen with.
  const shardRefs = viewDocumentIds(projection, SALES_SUMMARY_ID).map((id) => viewPartsOf(db, target).doc(id));
  const counting = (query: Query) => {
    const counted = { changes: 0 };
    const stop = query.onSnapshot((snapshot) => {
      counted.changes += snapshot.docChanges().length;
    });
    return { counted, stop };
  };
  const rawParts = counting(viewPartsQuery(db, target, SALES_SUMMARY_ID));
  const rawShards = counting(viewPartsOf(db, target).where(FieldPath.documentId(), 'in', shardRefs));

  // The API's live views, one per mode, each recording when it first shows every order.
  const follow = (mode: 'parts' | 'shards') => {
    const readModels = new FirestoreReadModels(db, { rolledUpLive: mode });
    const stream = readModels.watch<SalesFigures>(projection, SALES_SUMMARY_ID);
    const seen = { values: 0, orders: 0, allAt: 0 };
    const done = (async () => {
      for await (const view of stream) {
        seen.values++;
        seen.orders = view?.orders ?? 0;
        if (seen.orders === plan.orders) {
          seen.allAt = performance.now();
          return;
        }
      }
    })();
    return { seen, done, stop: () => stream.return?.() };
  };
  const parts = follow('parts');
  const shards = follow('shards');

  const phase = startPhase(`(t) ${plan.orders} orders applied to the sales dashboard, ${plan.writers} writers`, plan.orders);
  let next = 0;
  const burstMs = await runPool(
    plan.orders,
    plan.writers,
    async () => {
      const orderId = `bench-${next++}-${randomUUID().slice(0, 8)}`;
      const { events } = await store.appendToStreams([
        {
          streamId: `order-${orderId}`,
          expectedVersion: 0,
          events: stamped([orderPlaced(orderId, `c-${next % 50}`, [line('kettle', 1, 2_500)])]),
        },
      ]);
      await projector.apply(projection, events[0]!);
    },
    phase.tick,
  );
  phase.end();
  const lastApplyAt = performance.now();
  const counts = { parts: rawParts.counted.changes, shards: rawShards.counted.changes };
  const values = { parts: parts.seen.values, shards: shards.seen.values };

  await withTimeout(parts.done, 'the live view on every part to show every order', CATCH_UP_TIMEOUT_MS);
  // The projector's own roll-ups are done when the burst's last apply is: what is left waits for the sweep,
  // which folds a shard at most once a second, as the roll-ups do.
  const shardsBeforeSweep = shards.seen.orders;
  let swept = false;
  void shards.done.then(() => {
    swept = true;
  });
  const sweeps = (async () => {
    while (!swept) {
      await projector.sweepRollUps(projection);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  await withTimeout(shards.done, 'the live view on the shards alone to show every order', CATCH_UP_TIMEOUT_MS);
  await sweeps;

  rawParts.stop();
  rawShards.stop();
  await Promise.all([parts.stop(), shards.stop()]);
  return {
    orders: plan.orders,
    burstSeconds: burstMs / 1000,
    parts: { changes: counts.parts, values: values.parts, caughtUpMs: parts.seen.allAt - lastApplyAt },
    shards: { changes: counts.shards, values: values.shards, caughtUpMs: shards.seen.allAt - lastApplyAt },
    shardsBeforeSweep,
  };
}

export function renderLiveDashboardSection(result: LiveDashboardResult): string {
  const perOrder = (n: number) => fixed(n / result.orders, 2);
  const row = (mode: string, listened: ListenedTo, note: string) => [
    mode,
    whole(listened.changes),
    perOrder(listened.changes),
    ratio(listened.changes / result.parts.changes),
    whole(listened.values),
    `${whole(Math.max(0, listened.caughtUpMs))} ms${note}`,
  ];
  return [
    '## (t) Live sales dashboard: every part, or the shards alone',
    '',
    `${whole(result.orders)} orders applied to the sales dashboard in ${fixed(result.burstSeconds, 1)} s ` +
      `(${whole(result.orders / result.burstSeconds)} orders/s) through the real projector and its roll-ups. Per mode of ` +
      'LIVE_ROLLED_UP_VIEWS, the document changes Firestore sent a listener on the live view’s query during the burst, ' +
      'and the values a subscriber of the live view received. Baseline: `parts` (the default), same writes.',
    '',
    markdownTable(
      ['live view on', 'listener changes', 'per order', 'vs parts', 'values received', 'shows every order after the last apply'],
      [row('parts', result.parts, ''), row('shards', result.shards, ` (${whole(result.shardsBeforeSweep)} of them before the sweep)`)],
    ),
    '',
  ].join('\n');
}
