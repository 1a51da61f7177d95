/**
 * (f) Live subscriptions at scale: N subscribers on one API process, half over SSE and half over WebSocket,
 * spread over a few read-model documents, and how long a write to one of those documents takes to reach every
 * subscriber of it, beside the same write reaching a bare Firestore listener in the same run.
 *
 * Three processes, so that each measures only itself: this one writes the documents and holds the raw
 * listeners (the baseline: write → onSnapshot, on a client of its own); `subscriptionServer.ts` is the API
 * (createApi, SSE and WebSocket, multiplexed listeners), whose heap and RSS are read after GC with and
 * without the subscribers; `subscriberSwarm.ts` holds the subscribers and times each result's arrival.
 * Times are epoch milliseconds from `performance.timeOrigin + performance.now()` in each process.
 *
 * A write sets the document's `available` to a fresh marker; one write at a time, each waiting until every
 * subscriber of the document has it (the fan-out), so a sample is a delivery, not a queue.
 */
import { randomUUID } from 'node:crypto';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { evolveInventoryCount, inventoryCountProjection, type InventoryCount } from '../src/projections/inventoryCount.ts';
import { envelope } from '../test/support/envelopes.ts';
import { productAdded } from '../test/support/shopFixtures.ts';
import { epochMs, startBenchChild, type BenchChild, type ChildMessage } from './benchChild.ts';
import { fixed, markdownTable, ratio, whole } from './markdown.ts';
import { note, startPhase } from './progress.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';
import { viewsOf } from '../src/firestore/readModelLayout.ts';

export interface SubscriptionPlan {
  readonly subscribers: number;
  /** Read-model documents the subscribers are spread over (round robin). */
  readonly documents: number;
  readonly writes: number;
  /** Writes first, thrown away. */
  readonly warmup: number;
}

export const SUBSCRIPTION_PLANS: Record<'full' | 'quick', SubscriptionPlan> = {
  full: { subscribers: 5_000, documents: 20, writes: 60, warmup: 5 },
  quick: { subscribers: 500, documents: 10, writes: 20, warmup: 3 },
};

export interface SubscriptionResult {
  readonly plan: SubscriptionPlan;
  readonly openSeconds: number;
  /** Firestore listeners the API held with every subscriber connected, and after they all left. */
  readonly listenersDuring: number;
  readonly listenersAfter: number;
  readonly heapPerSubscriberBytes: number;
  readonly rssPerSubscriberBytes: number;
  readonly raw: LatencySummary;
  readonly sse: LatencySummary;
  readonly ws: LatencySummary;
  /** Per write: until the last subscriber of the document had it. */
  readonly fanOut: LatencySummary;
  /** Deliveries that did not arrive within the timeout. */
  readonly missing: number;
}

interface Memory extends ChildMessage {
  readonly heapUsed: number;
  readonly rss: number;
  readonly firestoreListeners: number;
}

const DELIVERY_TIMEOUT_MS = 20_000;

export async function measureSubscriptions(plan: SubscriptionPlan): Promise<SubscriptionResult> {
  const projectId = `bench-subs-${randomUUID().slice(0, 8)}`;
  const writer = createFirestore(projectId);
  const rawListener = createFirestore(projectId);
  const collection = readModelCollectionName(inventoryCountProjection);
  const ids = Array.from({ length: plan.documents }, (_, i) => `bench-product-${i}`);
  const children: BenchChild[] = [];
  const unsubscribes: Array<() => void> = [];
  try {
    await Promise.all(ids.map((id) => viewsOf(writer, collection).doc(id).set(product(id, 0))));

    const { child: server, ready } = await startBenchChild('./subscriptionServer.ts', { GOOGLE_CLOUD_PROJECT: projectId });
    children.push(server);
    const port = ready.port as number;
    const before = await server.request<Memory>({ type: 'memory' });

    const { child: swarm } = await startBenchChild('./subscriberSwarm.ts');
    children.push(swarm);
    const opening = startPhase(`(f) opening ${whole(plan.subscribers)} subscriptions (SSE + WebSocket)`, plan.subscribers);
    let opened = 0;
    swarm.onProgress((message) => {
      if (message.type !== 'progress') return;
      opening.tick((message.opened as number) - opened);
      opened = message.opened as number;
    });
    const open = await swarm.request<ChildMessage>(
      {
        type: 'open',
        httpUrl: `http://127.0.0.1:${port}/graphql`,
        wsUrl: `ws://127.0.0.1:${port}/graphql`,
        count: plan.subscribers,
        docs: ids,
        concurrency: 64,
      },
      600_000,
    );
    opening.end();
    const during = await server.request<Memory>({ type: 'memory' });

    // The baseline: a bare listener per document, on a client of this process.
    const rawArrivals = new Map<number, number>();
    await Promise.all(
      ids.map(
        (id) =>
          new Promise<void>((resolve, reject) => {
            unsubscribes.push(
              viewsOf(rawListener, collection)
                .doc(id)
                .onSnapshot((snapshot) => {
                  const at = epochMs();
                  const available = snapshot.get('available') as number;
                  if (available === 0) resolve();
                  else rawArrivals.set(available, at);
                }, reject),
            );
          }),
      ),
    );

    const samples = { raw: [] as number[], sse: [] as number[], ws: [] as number[], fanOut: [] as number[] };
    let missing = 0;
    const total = plan.warmup + plan.writes;
    const writing = startPhase(`(f) writes fanned out to subscribers (${plan.warmup} warm-up)`, total);
    for (let marker = 1; marker <= total; marker++) {
      const index = (marker - 1) % ids.length;
      const id = ids[index]!;
      const expected = subscribersOf(index, plan);
      const writtenAt = epochMs();
      await viewsOf(writer, collection).doc(id).set(product(id, marker));
      const delivered = await swarm.request<ChildMessage & { sse: number[]; ws: number[] }>(
        { type: 'collect', marker, expected, timeoutMs: DELIVERY_TIMEOUT_MS },
        DELIVERY_TIMEOUT_MS + 10_000,
      );
      const raw = rawArrivals.get(marker);
      rawArrivals.delete(marker);
      if (marker > plan.warmup) {
        const all = [...delivered.sse, ...delivered.ws];
        missing += expected - all.length;
        samples.sse.push(...delivered.sse.map((at) => at - writtenAt));
        samples.ws.push(...delivered.ws.map((at) => at - writtenAt));
        if (all.length > 0) samples.fanOut.push(Math.max(...all) - writtenAt);
        if (raw !== undefined) samples.raw.push(raw - writtenAt);
      }
      writing.tick();
    }
    writing.end();

    await swarm.request({ type: 'disconnect' });
    const leaving = Date.now() + 20_000;
    let after = await server.request<Memory>({ type: 'memory' });
    while (after.firestoreListeners > 0 && Date.now() < leaving) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await server.request<Memory>({ type: 'memory' });
    }
    if (after.firestoreListeners > 0)
      note(`  (f) the API still holds ${after.firestoreListeners} Firestore listeners after every subscriber left`);

    return {
      plan,
      openSeconds: (open.ms as number) / 1000,
      listenersDuring: during.firestoreListeners,
      listenersAfter: after.firestoreListeners,
      heapPerSubscriberBytes: (during.heapUsed - before.heapUsed) / plan.subscribers,
      rssPerSubscriberBytes: (during.rss - before.rss) / plan.subscribers,
      raw: summarizeLatencies(samples.raw),
      sse: summarizeLatencies(samples.sse),
      ws: summarizeLatencies(samples.ws),
      fanOut: summarizeLatencies(samples.fanOut),
      missing,
    };
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe();
    await Promise.allSettled(children.reverse().map((child) => child.stop()));
    await Promise.allSettled([writer.terminate(), rawListener.terminate()]);
  }
}

/** Subscriber i watches document i mod documents. */
function subscribersOf(index: number, plan: SubscriptionPlan): number {
  return Math.floor(plan.subscribers / plan.documents) + (index < plan.subscribers % plan.documents ? 1 : 0);
}

/** A product's InventoryCount view, as the projector writes it, carrying the marker as `available`. */
function product(productId: string, available: number): InventoryCount {
  const added = evolveInventoryCount(null, envelope(`product-${productId}`, 1, productAdded(productId, 1000, 1_000_000)));
  return { ...added, available, updatedAt: new Date().toISOString() };
}

export function renderSubscriptionSection(result: SubscriptionResult): string {
  const { plan } = result;
  const row = (label: string, s: LatencySummary) => [label, whole(s.count), fixed(s.p50), fixed(s.p95), fixed(s.p99), fixed(s.max)];
  const perDocument = plan.subscribers / plan.documents;
  return [
    `## (f) Live subscriptions: ${whole(plan.subscribers)} subscribers on one API process`,
    '',
    `Half over SSE (a connection each), half over WebSocket (a socket each), spread over ${plan.documents} read-model ` +
      `documents (${whole(perDocument)} subscribers each). ${plan.writes} writes, one at a time, each waiting for every ` +
      'subscriber of its document; the raw baseline is a bare Firestore listener in another process seeing the same writes.',
    '',
    markdownTable(
      ['', 'value'],
      [
        ['subscriptions opened (initial result received)', `${whole(plan.subscribers)} in ${fixed(result.openSeconds)} s`],
        ['Firestore listeners the API held for them', whole(result.listenersDuring)],
        ['… after every subscriber left', whole(result.listenersAfter)],
        ['API heap per subscriber (after GC)', `${fixed(result.heapPerSubscriberBytes / 1024)} KiB`],
        ['API RSS per subscriber', `${fixed(result.rssPerSubscriberBytes / 1024)} KiB`],
        ['deliveries missing after 20 s', whole(result.missing)],
      ],
    ),
    '',
    markdownTable(
      ['path', 'samples', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)'],
      [
        row('raw: Firestore write → onSnapshot', result.raw),
        row('write → SSE subscriber', result.sse),
        row('write → WebSocket subscriber', result.ws),
        row(`write → last of ${whole(perDocument)} subscribers (per write)`, result.fanOut),
      ],
    ),
    '',
    `Ratios of p50s to raw: SSE ${ratio(result.sse.p50 / result.raw.p50)}, WebSocket ${ratio(result.ws.p50 / result.raw.p50)}, ` +
      `last subscriber ${ratio(result.fanOut.p50 / result.raw.p50)}.`,
    '',
  ].join('\n');
}
