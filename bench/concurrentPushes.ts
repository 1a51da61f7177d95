/**
 * (q) The projectors as production Pub/Sub pushes to them: many deliveries in flight per subscription at once.
 *
 * The Pub/Sub emulator pushes one or two messages at a time per subscription, so part (p) measures its push queue
 * more than the projectors. Here the emulator's push loop is bypassed on purpose, and only it: the orders go
 * through the API's command path, the outbox relay publishes to the emulator's topic, and each projector has a
 * pull subscription from which this process posts every message, as the same push envelope JSON the emulator
 * (and Pub/Sub) posts, to the projector's own functions-framework process (as `npm run dev` runs them, one
 * process per function), with up to IN_FLIGHT posts outstanding per subscription. The subscriptions are not
 * ordered, like the deployed ones (src/pubsub/topology.ts): deliveries of one stream may overlap or come out of
 * order, and the projectors' checkpoints and gap fills sort them out, as in the cloud. A type the projector does
 * not read is acknowledged without a post (the deployed subscription's filter). A non-2xx answer is nacked and
 * the emulator redelivers it.
 *
 * Two phases:
 * - live: a burst of orders while the pushes flow; per read model the lag from an event's commit to the answer
 *   of the push that applied it (as in (p), appliedFromAnswers), and how long a push took to answer;
 * - backlog: another burst while the pushes are held, then released one projector at a time: the rate at which
 *   each drains its share (events/s) is its handling capacity at IN_FLIGHT concurrent pushes, on this machine.
 * Beside them, the baseline: the emulator's own rate for transactions of an apply's shape (read a shared
 * registry document, a checkpoint and a view; write the view and the checkpoint), IN_FLIGHT at a time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { readsType, type AnyProjection } from '../src/core/projection.ts';
import { freePort } from '../scripts/devPorts.ts';
import { projectorFunction } from '../scripts/projectorFunctions.ts';
import { SupervisedProcess } from '../scripts/supervisedProcess.ts';
import { DOMAIN_EVENTS_TOPIC, pushDelivery, startPipeline, type PushDelivery } from '../test/support/pipeline.ts';
import { runPool } from './appendThroughput.ts';
import { fixed, markdownTable, ratio, whole } from './markdown.ts';
import { ONE_CALLER_API } from './oneCaller.ts';
import type { OutboxDiscovery } from '../src/outbox/outboxRelay.ts';
import { describeRelayDiscovery, devRelayDiscovery } from './devRelay.ts';
import { note, startPhase } from './progress.ts';
import {
  appliedFromAnswers,
  customerIdsOf,
  placeBurst,
  readModelLags,
  setUp,
  waitForCatchUp,
  type ProjectionLagPlan,
  type ReadModelLag,
} from './projectionLag.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';

export interface ConcurrentPushesPlan extends ProjectionLagPlan {
  /** Orders of the backlog phase. */
  readonly backlogOrders: number;
  /** Transactions of the baseline. */
  readonly baselineTransactions: number;
}

/**
 * Five orders a customer at most: with pushes in flight together, a few customers' histories would be documents
 * that dozens of concurrent applies contend on (a customer's own pace is the design's limit there, docs/capacity.md).
 */
export const CONCURRENT_PUSHES_PLANS: Record<'full' | 'quick', ConcurrentPushesPlan> = {
  full: { orders: 1_500, writers: 16, customers: 300, backlogOrders: 500, baselineTransactions: 3_000 },
  quick: { orders: 300, writers: 16, customers: 100, backlogOrders: 150, baselineTransactions: 1_000 },
};

/** Posts outstanding per subscription: Pub/Sub push sends many at once; a gen 2 function instance takes up to 80. */
const IN_FLIGHT = 32;

export interface BacklogDrain {
  readonly readModel: string;
  readonly events: number;
  /** From the release of the held pushes to the last of them answered 2xx, ms. */
  readonly drainMs: number;
  readonly posts: number;
  readonly handling: LatencySummary;
}

export interface ConcurrentPushesResult {
  readonly inFlight: number;
  readonly orders: number;
  readonly writers: number;
  readonly events: number;
  readonly burstSeconds: number;
  readonly placeOrder: LatencySummary;
  /** How the relay learned of the committed events. */
  readonly relay: OutboxDiscovery;
  readonly live: readonly ReadModelLag[];
  readonly backlogOrders: number;
  readonly backlog: readonly BacklogDrain[];
  readonly baseline: { readonly transactions: number; readonly perSecond: number };
}

export async function measureConcurrentPushes(plan: ConcurrentPushesPlan): Promise<ConcurrentPushesResult> {
  const relay = devRelayDiscovery();
  const pipeline = await startPipeline({ api: ONE_CALLER_API, functions: false, relayDiscovery: relay });
  const { projectors, workflows } = await import('../functions/projectors.ts');
  // The read models (p) measures: the payment workflow and its deadlines' view are left out, as there.
  const readModels = (Object.entries(projectors) as Array<[string, AnyProjection]>).filter(
    ([name]) => !(name in workflows) && name !== 'projectPaymentDeadlines',
  );
  const processes: SupervisedProcess[] = [];
  const pushers: ConcurrentPusher[] = [];
  try {
    const starting = startPhase('(q) starting a functions-framework process per projector', readModels.length);
    for (const [name, projection] of readModels) {
      const fn = projectorFunction(name, await freePort());
      // As `npm run dev` starts them (supervised: none outlives the bench). Their logs are not shown: they would
      // bury the progress, and a delivery they fail shows in the report as a redelivery.
      const child = new SupervisedProcess({
        name: fn.name,
        command: fn.command,
        env: { ...process.env, GOOGLE_CLOUD_PROJECT: pipeline.projectId, LOG_LEVEL: 'error' },
      });
      processes.push(child);
      // Listening once it answers an unknown path (functions-framework's 404), as `npm run dev` waits.
      await child.waitUntilAnswers(`http://127.0.0.1:${fn.port}/robots.txt`, 404, 120_000);
      const endpoint = `http://127.0.0.1:${fn.port}/`;
      await pipeline.pubsub.topic(DOMAIN_EVENTS_TOPIC).createSubscription(`bench-push-${name}`, { ackDeadlineSeconds: 60 });
      // Enough messages leased at once that the posts, not the client's flow control, decide the pace.
      const subscription = pipeline.pubsub.subscription(`bench-push-${name}`, {
        flowControl: { maxMessages: 20_000, allowExcessMessages: false },
      });
      pushers.push(new ConcurrentPusher(name, projection, endpoint, subscription));
      starting.tick();
    }
    starting.end();
    const deliveries = (name: string) => pushers.find((p) => p.name === name)!.deliveries;
    const posted = () => pushers.reduce((sum, p) => sum + p.deliveries.length, 0);

    const customerIds = customerIdsOf(plan);
    await setUp(pipeline, customerIds, '(q)', posted);

    // Live: the pushes flow while the orders are placed.
    const applied = appliedFromAnswers(readModels, deliveries);
    const burst = await placeBurst(pipeline, plan, customerIds, '(q) live');
    const wanted = await waitForCatchUp(burst, readModels, applied, '(q) live');
    const live = readModelLags(burst, wanted, readModels, applied, deliveries);

    // Backlog: the pushes are held while more orders are placed, then released.
    for (const pusher of pushers) pusher.hold();
    const backlogBurst = await placeBurst(pipeline, { ...plan, orders: plan.backlogOrders }, customerIds, '(q) backlog');
    const held = readModels.map(([, projection]) => backlogBurst.events.filter((e) => readsType(projection, e.type)));
    const total = held.reduce((sum, events) => sum + events.length, 0);
    const queued = startPhase('(q) backlog: waiting until every push is queued', total);
    const queuedDeadline = Date.now() + 120_000;
    let seen = 0;
    for (;;) {
      const now = pushers.reduce((sum, p, i) => sum + Math.min(p.heldCount(), held[i]!.length), 0);
      queued.tick(now - seen);
      seen = now;
      if (now >= total) break;
      if (Date.now() > queuedDeadline) throw new Error(`(q) only ${now} of ${total} backlog pushes were queued within 120 s`);
      await sleep(200);
    }
    queued.end();
    // One projector at a time, each with the machine to itself (and the emulator, whose lock waits would
    // otherwise hold up every projector behind the contended documents of one): in the cloud each function has
    // instances of its own.
    const drain = startPhase('(q) backlog: draining each projector in turn', total);
    const backlogIds = new Set(backlogBurst.events.map((e) => e.eventId));
    const drained: BacklogDrain[] = [];
    for (const [i, pusher] of pushers.entries()) {
      const before = pusher.deliveries.length;
      const drainMs = await pusher.release(held[i]!.length, () => drain.tick());
      const mine = pusher.deliveries.slice(before).filter((d) => d.eventId !== undefined && backlogIds.has(d.eventId));
      drained.push({
        readModel: readModels[i]![1].name,
        events: held[i]!.length,
        drainMs,
        posts: mine.length,
        handling: summarizeLatencies(mine.filter((d) => d.status < 300).map((d) => d.durationMs)),
      });
    }
    drain.end();

    const baseline = await measureApplyShapedTransactions(pipeline.db, plan.baselineTransactions);
    return {
      inFlight: IN_FLIGHT,
      orders: plan.orders,
      writers: plan.writers,
      events: burst.events.length,
      burstSeconds: burst.burstMs / 1000,
      placeOrder: summarizeLatencies(burst.placeOrderMs),
      relay,
      live,
      backlogOrders: plan.backlogOrders,
      backlog: drained,
      baseline,
    };
  } finally {
    await Promise.all(pushers.map((pusher) => pusher.close()));
    await Promise.all(processes.map((child) => child.stop()));
    await pipeline.stop();
  }
}

/**
 * Pub/Sub's push, for one subscription: every message of a type the function reads is posted to it as a push
 * envelope, up to IN_FLIGHT at a time, acknowledged on 2xx and nacked otherwise (the emulator redelivers it).
 */
class ConcurrentPusher {
  readonly deliveries: PushDelivery[] = [];
  private readonly queue: Message[] = [];
  private inFlight = 0;
  private held = false;
  /** While a release is under way: the 2xx answers it still waits for, and what to call on each. */
  private draining: { remaining: number; onAnswer: () => void; done: (at: number) => void } | null = null;

  constructor(
    readonly name: string,
    private readonly projection: AnyProjection,
    private readonly endpoint: string,
    private readonly subscription: Subscription,
  ) {
    subscription.on('message', (message: Message) => this.receive(message));
    subscription.on('error', (error) => note(`  (q) ${name}: pull subscription error: ${String(error)}`));
  }

  private receive(message: Message): void {
    if (!readsType(this.projection, message.attributes.type)) {
      message.ack();
      return;
    }
    this.queue.push(message);
    this.pump();
  }

  hold(): void {
    this.held = true;
  }

  heldCount(): number {
    return this.queue.length;
  }

  /** Lets the held pushes go; resolves when `expected` of them have been answered 2xx: the ms that took. */
  release(expected: number, onAnswer: () => void): Promise<number> {
    const startedAt = performance.now();
    return new Promise((resolve) => {
      if (expected === 0) return resolve(0);
      this.draining = { remaining: expected, onAnswer, done: (at) => resolve(at - startedAt) };
      this.held = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.held && this.inFlight < IN_FLIGHT && this.queue.length > 0) {
      this.inFlight++;
      void this.post(this.queue.shift()!).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async post(message: Message): Promise<void> {
    const receivedAt = Date.now();
    const startedAt = performance.now();
    let status = 0;
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          subscription: this.subscription.name,
          message: {
            data: message.data.toString('base64'),
            attributes: message.attributes,
            messageId: message.id,
            publishTime: message.publishTime.toISOString(),
          },
        }),
      });
      status = response.status;
      await response.arrayBuffer();
    } catch {
      // No answer: like a 5xx, the message comes again.
    }
    this.deliveries.push(
      pushDelivery(
        this.name,
        { messageId: message.id, attributes: message.attributes },
        { status, receivedAt, durationMs: performance.now() - startedAt },
      ),
    );
    if (status >= 200 && status < 300) {
      message.ack();
      if (this.draining) {
        this.draining.onAnswer();
        if (--this.draining.remaining === 0) {
          this.draining.done(performance.now());
          this.draining = null;
        }
      }
    } else {
      message.nack();
    }
  }

  async close(): Promise<void> {
    this.subscription.removeAllListeners('message');
    await this.subscription.close();
  }
}

/**
 * The emulator's rate for `count` transactions shaped like an apply, IN_FLIGHT at a time, each on a stream of its
 * own: read a registry document every one reads, a checkpoint and a view; write the view and the checkpoint.
 */
async function measureApplyShapedTransactions(
  db: Awaited<ReturnType<typeof startPipeline>>['db'],
  count: number,
): Promise<{ transactions: number; perSecond: number }> {
  const registry = db.collection('bench-apply-shape').doc('registry');
  await registry.set({ active: 'bench-apply-shape' });
  const phase = startPhase(`(q) baseline: ${count} apply-shaped transactions, ${IN_FLIGHT} at a time`, count);
  let n = 0;
  const ms = await runPool(
    count,
    IN_FLIGHT,
    async () => {
      const i = n++;
      const checkpoint = db.collection('bench-apply-shape-checkpoints').doc(`stream-${i}`);
      const view = db.collection('bench-apply-shape-views').doc(`view-${i}`);
      await db.runTransaction(async (tx) => {
        const [, , current] = await tx.getAll(registry, checkpoint, view);
        tx.set(view, { orders: ((current!.get('orders') as number | undefined) ?? 0) + 1, updatedAt: new Date() });
        tx.set(checkpoint, { version: 1, updatedAt: new Date() });
      });
    },
    phase.tick,
  );
  phase.end();
  return { transactions: count, perSecond: count / (ms / 1000) };
}

export function renderConcurrentPushesSection(result: ConcurrentPushesResult): string {
  const ms = (value: number) => whole(value);
  const baseline = result.baseline.perSecond;
  const drainRate = (d: BacklogDrain) => d.events / (d.drainMs / 1000);
  return [
    `## (q) Projectors under concurrent pushes (${result.inFlight} in flight per subscription)`,
    '',
    "The Pub/Sub emulator pushes one or two messages at a time per subscription; production's push subscriptions " +
      "deliver many at once. This part bypasses the emulator's push queue on purpose (and only it): the relay publishes " +
      "to the emulator, and the bench pulls each projector's messages and posts them, as the same push envelope JSON, to " +
      `the projector's own functions-framework process, up to ${result.inFlight} at a time, unordered like the deployed ` +
      'subscriptions; types a projector does not read are acknowledged unposted, as the deployed filters do. Handling ' +
      'is measured from the bench, so it includes the local HTTP hop.',
    '',
    `### Live: ${whole(result.orders)} orders while the pushes flow`,
    '',
    `${whole(result.orders)} orders placed through the API's command path by ${result.writers} concurrent writers in ` +
      `${fixed(result.burstSeconds, 1)} s (${whole(result.orders / result.burstSeconds)} orders/s, ` +
      `${whole(result.events / result.burstSeconds)} events/s committed; placeOrder p50 ${ms(result.placeOrder.p50)} ms): the ` +
      "writes the read models follow. Lag: an event's commit to the answer of the push that applied it. Goal: within 2 s. " +
      describeRelayDiscovery(result.relay),
    '',
    markdownTable(
      ['read model', 'events', 'lag p50 (ms)', 'p95', 'max', 'caught up after (ms)', 'handling p50 / p95 (ms)', 'posts'],
      result.live.map((r) => [
        r.readModel,
        r.applied === r.events ? whole(r.events) : `${whole(r.applied)} of ${whole(r.events)} applied`,
        ms(r.lag.p50),
        ms(r.lag.p95),
        ms(r.lag.max),
        r.caughtUpAfterMs === null ? 'not caught up' : ms(r.caughtUpAfterMs),
        `${fixed(r.handling.p50, 0)} / ${fixed(r.handling.p95, 0)}`,
        whole(r.deliveries),
      ]),
    ),
    '',
    `### Backlog: ${whole(result.backlogOrders)} orders' pushes held, then released`,
    '',
    `Each projector in turn drains its share, ${result.inFlight} posts in flight, with the machine to itself: its ` +
      `handling capacity. Baseline, same run: ${whole(result.baseline.transactions)} transactions of an apply's shape ` +
      '(read a shared registry document, a checkpoint and a view; write the view and the checkpoint), ' +
      `${result.inFlight} at a time from this process: ${whole(baseline)}/s. Redelivered: posts answered other than 2xx ` +
      "(a transaction that timed out on a contended document, as the emulator's lock waits do), nacked and posted again.",
    '',
    markdownTable(
      ['read model', 'events', 'drained in (ms)', 'events/s', '× baseline', 'handling p50 / p95 (ms)', 'posts (redelivered)'],
      result.backlog.map((d) => [
        d.readModel,
        whole(d.events),
        ms(d.drainMs),
        whole(drainRate(d)),
        ratio(drainRate(d) / baseline),
        `${fixed(d.handling.p50, 0)} / ${fixed(d.handling.p95, 0)}`,
        `${whole(d.posts)} (${whole(d.posts - d.events)})`,
      ]),
    ),
    '',
  ].join('\n');
}
