/**
 * The outbox relay: publishes committed events to Pub/Sub, then clears their outbox marker.
 *
 * Every event document is committed with `pending: true` (see firestoreEventStore.ts), so nothing committed
 * can be lost: a relay that dies before publishing leaves the marker and the next holder of the partition
 * publishes the event; one that dies after publishing but before clearing publishes it again, which
 * projectors absorb (they guard on stream versions). Delivery is therefore at-least-once, in commit order per
 * stream (the ordering key is the stream id, and a stream's events all sit in one partition).
 *
 * Streams are spread over the store's stream partitions (src/firestore/partitions.ts). With `leases`, relays on
 * several API instances share the partitions (src/outbox/partitionLeases.ts) and each publishes only those it
 * holds, so every event goes out once however many instances run. Without, the relay publishes every partition:
 * for a single process (tests, tools). When the partitions grow, the relay takes on the new ones as it hears of
 * the growth, and each new partition waits for the one its streams came from (PartitionPublisher.originHasDrained).
 *
 * Traced: each message goes out in a PRODUCER span `publish <topic>`, a child of the trace the event was
 * committed in (the `traceparent` in its metadata), and carries that span's context as W3C `traceparent` in its
 * attributes, where the projectors continue it. Metrics: `eventloom.outbox.events_published` by topic, and
 * `eventloom.outbox.pending_age`, the age of the oldest event this relay has yet to publish.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FieldPath, FieldValue, type Firestore, type QueryDocumentSnapshot, type QuerySnapshot, Timestamp } from '@google-cloud/firestore';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Topic } from '@google-cloud/pubsub';
import type { EventEnvelope } from '../core/eventStore.ts';
import { envelopeFromDocument } from '../firestore/eventDocument.ts';
import { EVENTS, PENDING } from '../firestore/firestoreEventStore.ts';
import { onStreamPartitionsChanged, streamPartitions } from '../firestore/partitionLayout.ts';
import type { PartitionOrigin, StreamPartitions } from '../firestore/partitions.ts';
import { toIntegrationEvent } from '../integration/toIntegrationEvent.ts';
import type { Logger } from '../logger.ts';
import { type EventMessage, toEventMessage, toIntegrationMessage } from '../pubsub/eventMessage.ts';
import { eventloomMetrics, observeOutboxPendingAge } from '../telemetry/metrics.ts';
import { ATTR, eventSpanAttributes, inMessageSpan, SpanKind, withTraceAttributes } from '../telemetry/tracing.ts';
import { PartitionLeases, type PartitionLeaseTimings } from './partitionLeases.ts';

const RETRY_AFTER_MS = 1000;
/** How often a listening publisher runs its catch-up query as a safety net (OutboxRelayOptions.catchUpIntervalMs). */
const CATCH_UP_EVERY_MS = 60_000;
/**
 * How long a healthy listener may take to report a commit: an event the safety net finds that was committed less
 * than this before its query, after the listener's latest result, is one the listener is about to report, not one
 * it missed.
 */
const LISTENER_GRACE_MS = 10_000;

export interface OutboxRelayOptions {
  readonly db: Firestore;
  /** The domain events topic, a handle created with `messageOrdering: true`. */
  readonly topic: Topic;
  /**
   * The public integration events topic (also with `messageOrdering: true`). Domain events that map to
   * an integration event are published there too, before the event counts as published.
   */
  readonly integrationTopic?: Topic;
  readonly logger: Logger;
  readonly batchSize?: number;
  /**
   * Opens sealed personal fields for the integration events, whose consumers get clear text (or
   * `[erased]`); domain events go out sealed, as stored, so Pub/Sub and dead letters never hold clear text.
   */
  readonly openPersonalData?: (events: EventEnvelope[]) => Promise<EventEnvelope[]>;
  /** Share the partitions with other relays through leases; without, this relay publishes them all. */
  readonly leases?: PartitionLeaseTimings & { readonly owner?: string };
  /**
   * How the relay learns of committed events: `listen` (the default, and production's), a listener per partition
   * it holds; `poll`, for the Firestore emulator only, one query over every partition each `pollIntervalMs`.
   *
   * The emulator runs each listener's query again, over the whole `events` collection group, on every write to it:
   * with a listener per partition, every append and every cleared marker costs the emulator CPU in proportion to
   * the events stored (148 ms per event at 1,600 events, 318 ms at 4,000: docs/capacity.md), and local writes slow
   * down as the store grows. One query a round costs one such scan, however many events it finds. Production
   * Firestore matches writes against listeners instead of rerunning them, and the all-partition query would need a
   * store-wide index on `recordedAt` (the hotspot the partitions avoid), so production listens.
   */
  readonly discovery?: OutboxDiscovery;
  /**
   * A listening relay's safety net: every this many ms (default a minute) each partition it listens to runs its
   * catch-up query too, so an event a listener never reports (healthy as far as anyone can tell) goes out within
   * the interval, not at the partition's next write or the relay's next start. Null: no safety net. Polling relays
   * have none: each round reads every partition afresh.
   */
  readonly catchUpIntervalMs?: number | null;
}

export type OutboxDiscovery = { readonly mode: 'listen' } | { readonly mode: 'poll'; readonly intervalMs: number };

/** The events of one partition still to publish, in commit order (each stream's versions in order). */
export function pendingEventsQuery(db: Firestore, partition: number, limit: number) {
  // The partition comes first in the index (partition, pending, recordedAt): each partition's range grows at
  // the end, so the store-wide write rate is spread over one range per partition instead of one.
  return db
    .collectionGroup(EVENTS)
    .where('partition', '==', partition)
    .where(PENDING, '==', true)
    .orderBy('recordedAt')
    .orderBy(FieldPath.documentId())
    .limit(limit);
}

/**
 * Whether a partition a growth opened must still wait before it publishes (PartitionPublisher.originHasDrained):
 * until the switch plus its margin has passed, and while the partition its streams came from holds a pending event
 * recorded before then. One single-document query on the relay's index.
 */
export async function waitsForOrigin(db: Firestore, origin: PartitionOrigin, now = Date.now()): Promise<boolean> {
  if (now < origin.until) return true;
  const earlier = await db
    .collectionGroup(EVENTS)
    .where('partition', '==', origin.from)
    .where(PENDING, '==', true)
    .where('recordedAt', '<', Timestamp.fromMillis(origin.until))
    .limit(1)
    .get();
  return !earlier.empty;
}

/**
 * The events of every partition still to publish, oldest first: the emulator's poll (OutboxDiscovery). On
 * production Firestore it would need an index ordered by `recordedAt` across the whole store.
 */
export function allPendingEventsQuery(db: Firestore, limit: number) {
  return db.collectionGroup(EVENTS).where(PENDING, '==', true).orderBy('recordedAt').orderBy(FieldPath.documentId()).limit(limit);
}

export class OutboxRelay {
  private readonly publishers = new Map<number, PartitionPublisher>();
  private readonly leases: PartitionLeases | null;
  private stopObservingPendingAge: (() => void) | null = null;
  /** How often the relay polls (OutboxDiscovery `poll`); null: it listens. */
  private readonly pollIntervalMs: number | null;
  /** The next poll round, and the round in flight. */
  private pollTimer: NodeJS.Timeout | null = null;
  private pollRound: Promise<void> | null = null;
  /** Nudged while a round was in flight: the next round starts as soon as it ends. */
  private pollAgain = false;
  private stopped = true;
  /** The store's partitions as last heard of; null until the relay first read them. */
  private layout: StreamPartitions | null = null;
  /** Loading the layout and starting the first publishers (without leases). */
  private starting: Promise<void> | null = null;
  private stopFollowingLayout: (() => void) | null = null;

  constructor(private readonly options: OutboxRelayOptions) {
    this.pollIntervalMs = options.discovery?.mode === 'poll' ? options.discovery.intervalMs : null;
    this.leases = options.leases
      ? new PartitionLeases({
          db: options.db,
          logger: options.logger,
          ...options.leases,
          onAcquired: (partition) => this.publisher(partition).start(),
          onReleasing: async (partition) => {
            await this.publishers.get(partition)?.stop();
            this.publishers.delete(partition);
          },
        })
      : null;
  }

  /**
   * Listens for pending events (of the partitions it holds, with leases) and publishes them as they are committed.
   * Resolves once it knows the store's partitions and listens to them (or, with leases, has begun claiming them).
   */
  start(): Promise<void> {
    this.stopped = false;
    this.stopObservingPendingAge ??= observeOutboxPendingAge(() => this.oldestPendingAgeSeconds());
    this.stopFollowingLayout ??= onStreamPartitionsChanged(this.options.db, (layout) => this.follow(layout));
    this.starting = untraced(async () => {
      const layout = await this.readLayout();
      if (!layout || this.stopped) return;
      if (this.leases) this.leases.start();
      this.follow(layout);
    });
    if (this.pollIntervalMs !== null) {
      this.options.logger.info(
        { discovery: 'poll', intervalMs: this.pollIntervalMs },
        'outbox relay polls for committed events (OUTBOX_DISCOVERY)',
      );
      this.pollIn(this.pollIntervalMs);
    }
    return this.starting;
  }

  /** The store's partitions, read again every second until the read succeeds; null once the relay is stopped. */
  private async readLayout(): Promise<StreamPartitions | null> {
    while (!this.stopped) {
      try {
        return await streamPartitions(this.options.db);
      } catch (error) {
        this.options.logger.error({ err: error }, 'outbox relay could not read the partition layout; trying again');
        await sleep(RETRY_AFTER_MS, undefined, { ref: false });
      }
    }
    return null;
  }

  /**
   * Events were just committed through this process (the API's event store says so): a polling relay looks now
   * rather than at its next round, so an order placed on a quiet `npm run dev` goes out at once. A listening relay
   * needs no telling. Commits of other processes wait for the next round.
   */
  nudge(): void {
    if (this.pollIntervalMs === null || this.stopped) return;
    if (this.pollRound) {
      this.pollAgain = true;
      return;
    }
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollIn(0);
  }

  /** Takes on the store's partitions: without leases, starts a publisher for each it has none for (the leases share them out). */
  private follow(layout: StreamPartitions): void {
    this.layout = layout;
    if (this.stopped || this.leases) return;
    untraced(() => {
      for (const partition of layout.all()) if (!this.publishers.has(partition)) this.publisher(partition).start();
    });
  }

  private pollIn(delayMs: number): void {
    const intervalMs = this.pollIntervalMs;
    if (this.stopped || intervalMs === null) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      this.pollAgain = false;
      this.pollRound = untraced(() => this.poll())
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'outbox poll failed; polling again'))
        .finally(() => {
          this.pollRound = null;
          this.pollIn(this.pollAgain ? 0 : intervalMs);
        });
    }, delayMs);
    this.pollTimer.unref();
  }

  /**
   * One poll round: the oldest pending events of every partition in one query, each partition's handed to its
   * publisher (an empty share tells it the partition is empty). A full page says nothing of the partitions it
   * leaves out, so then every publisher looks with its own catch-up query until its partition is empty.
   */
  private async poll(): Promise<void> {
    if (this.publishers.size === 0) return;
    const limit = this.options.batchSize ?? 200;
    const snapshot = await allPendingEventsQuery(this.options.db, limit).get();
    const byPartition = new Map<number, QueryDocumentSnapshot[]>();
    for (const doc of snapshot.docs) {
      const partition = doc.get('partition') as number;
      const share = byPartition.get(partition) ?? [];
      share.push(doc);
      byPartition.set(partition, share);
    }
    for (const [partition, publisher] of this.publishers) {
      if (snapshot.size >= limit) publisher.catchUpNow();
      else publisher.onDelivered({ docs: byPartition.get(partition) ?? [], readTime: snapshot.readTime });
    }
  }

  /** How long the oldest event still to publish in the partitions this relay holds has waited, in seconds; 0 when none. */
  oldestPendingAgeSeconds(now = Date.now()): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const publisher of this.publishers.values()) {
      if (publisher.oldestPendingAt !== null) oldest = Math.min(oldest, publisher.oldestPendingAt);
    }
    return Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0;
  }

  /** Stops publishing; with leases, hands the partitions back so the other relays take them over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopFollowingLayout?.();
    this.stopFollowingLayout = null;
    await this.starting;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    await this.pollRound;
    this.stopObservingPendingAge?.();
    this.stopObservingPendingAge = null;
    if (this.leases) await this.leases.stop();
    await Promise.all([...this.publishers.values()].map((publisher) => publisher.stop()));
    this.publishers.clear();
  }

  /** The partitions this relay publishes now (without leases: every partition, once it has read the layout). */
  partitions(): number[] {
    return this.leases ? this.leases.partitions() : (this.layout?.all() ?? []);
  }

  /**
   * Publishes everything pending now in the partitions it holds; resolves when they are empty and returns the
   * events published. Every partition is tried even if one fails; then the first failure is thrown.
   */
  async drain(): Promise<number> {
    if (!this.leases) this.layout = await streamPartitions(this.options.db);
    const outcomes = await untraced(() => Promise.allSettled(this.partitions().map((partition) => this.publisher(partition).drain())));
    const failure = outcomes.find((o) => o.status === 'rejected');
    if (failure) throw failure.reason;
    return outcomes.reduce((sum, o) => sum + (o.status === 'fulfilled' ? o.value : 0), 0);
  }

  private publisher(partition: number): PartitionPublisher {
    let publisher = this.publishers.get(partition);
    if (!publisher) {
      publisher = new PartitionPublisher(
        partition,
        this.options,
        () => this.leases?.holds(partition) ?? true,
        this.pollIntervalMs !== null,
      );
      this.publishers.set(partition, publisher);
    }
    return publisher;
  }
}

/**
 * Runs the relay's own bookkeeping (listeners, pending queries, clearing markers, leases, and the timers they
 * start) with tracing suppressed: the Firestore client would otherwise make each of those calls a trace of its
 * own, every second, crowding out the orders' traces. The publish spans name their parent (the event's trace)
 * explicitly, so they are recorded all the same.
 */
function untraced<T>(work: () => T): T {
  return context.with(suppressTracing(context.active()), work);
}

/** A partition's pending events as one read saw them, in commit order: a listener's result, or a poll's share. */
type PendingEvents = Pick<QuerySnapshot, 'docs' | 'readTime'>;

/**
 * Publishes one partition's pending events.
 *
 * In steady state it publishes what its listener delivered (or, on the emulators, its share of the relay's poll):
 * the listener's result is the partition's pending events in commit order (the same query as the catch-up), so
 * querying again would only read them a second time, and a third for the empty result that ends a drain. The
 * catch-up query runs where the listener cannot be trusted to have seen everything: when the publisher starts (a
 * takeover finds what the last holder left, even before the listener answers), after a failed publish, after a
 * pause for the lease, after a poll's full page, every second once the listener died, and, as a safety net
 * against a listener that misses an event, every `catchUpIntervalMs` while it listens.
 *
 * A listener's (or poll's) result can lag behind this relay's own writes: one read before the markers it just cleared were
 * committed still shows those events pending. So the publisher remembers what it published, with when the markers
 * were cleared, and skips those events in any result read before then. Batches run one at a time, so an event
 * committed while a publish is in flight waits for that publish, and a stream's versions go out in order.
 */
class PartitionPublisher {
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The safety net while the listener listens (catchUpIntervalMs): a catch-up each interval. */
  private catchUpTimer: NodeJS.Timeout | null = null;
  /** The next catch-up is the safety net's: what it finds that the listener should have reported is logged. */
  private safetyNetDue = false;
  private stopped = false;
  /** The listener died: nothing tells the publisher about new events, so it looks for them every second. */
  private listenerDied = false;
  /** The next round looks with the catch-up query instead of publishing from the listener's result. */
  private catchUp = true;
  /** The listener's (or poll's) latest result: the pending events to publish from. Null until it answers, and once it died. */
  private delivered: PendingEvents | null = null;
  /**
   * Events published from this partition (document path) that a listener result may still show pending: when
   * their marker was cleared, or null while their publish is in flight. Forgotten once a result read at or after
   * that time arrives (it no longer holds them).
   */
  private readonly published = new Map<string, Timestamp | null>();
  /**
   * When the oldest event still to publish was recorded (epoch ms), as the listener or the last read saw it; null
   * when the partition was empty then. Both read in commit order, so the first document is the oldest.
   */
  oldestPendingAt: number | null = null;
  /** This partition may publish as far as per-stream order goes: it is no growth's, or its origin has drained. */
  private originDrained = false;

  constructor(
    private readonly partition: number,
    private readonly options: OutboxRelayOptions,
    /** Whether this relay may still publish the partition (its lease is valid). */
    private readonly mayPublish: () => boolean,
    /** The relay's poll hands this publisher its partition's pending events (onDelivered): no listener of its own. */
    private readonly fedByPoll: boolean,
  ) {}

  start(): void {
    this.stopped = false;
    this.listenerDied = false;
    this.catchUp = true;
    if (this.fedByPoll) {
      this.kick();
      return;
    }
    this.unsubscribe = this.pendingQuery().onSnapshot(
      (snapshot) => this.onDelivered(snapshot),
      (error) => {
        this.options.logger.error({ err: error, partition: this.partition }, 'outbox listener failed; polling instead');
        this.listenerDied = true;
        // Nothing reads these any more: each round of polling queries afresh.
        this.delivered = null;
        this.published.clear();
        // Polling every second now, the safety net has nothing to add.
        this.disarmSafetyNet();
        this.scheduleRetry();
      },
    );
    this.kick();
    this.armSafetyNet();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A partition handed over is no longer this relay's to report.
    this.oldestPendingAt = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // Cleared for a later start(), whose retries would otherwise wait for a timer that will never fire.
    this.retryTimer = null;
    this.disarmSafetyNet();
    await this.running;
    this.delivered = null;
    this.published.clear();
  }

  /**
   * Publishes what the catch-up query finds until it finds nothing; returns how many events went out. `onFound`
   * sees each page the query read, before it is published.
   */
  async drain(onFound?: (found: QuerySnapshot) => void): Promise<number> {
    let total = 0;
    for (;;) {
      const snapshot = await this.pendingQuery().get();
      this.notePending(snapshot.docs);
      onFound?.(snapshot);
      const published = snapshot.empty ? 0 : await this.publish(snapshot.docs);
      total += published;
      if (published === 0) return total;
    }
  }

  /** Looks with the catch-up query at the next round, until the partition is empty. */
  catchUpNow(): void {
    if (this.stopped) return;
    this.catchUp = true;
    this.kick();
  }

  /** A result from the listener, or the partition's share of the relay's poll: the next round publishes from it. */
  onDelivered(snapshot: PendingEvents): void {
    if (this.stopped || this.listenerDied) return;
    this.delivered = snapshot;
    // Markers cleared at or before this read are gone from it, and from every later one: forgotten once a result
    // that should no longer show them does not. One that still does is stale (a loaded emulator's listener has sent
    // such results): its event went out, and a marker once cleared is never set again, so it stays skipped.
    const shown = new Set(snapshot.docs.map((doc) => doc.ref.path));
    for (const [path, clearedAt] of this.published) {
      if (clearedAt && clearedAt.valueOf() <= snapshot.readTime.valueOf() && !shown.has(path)) this.published.delete(path);
    }
    // Those whose markers are cleared but still show are not pending; those in flight still are.
    const pending = snapshot.docs.filter((doc) => !this.published.get(doc.ref.path));
    this.notePending(pending);
    if (pending.length > 0) this.kick();
  }

  /**
   * Whether results are coming from a listener or the relay's poll: only then is what was published remembered
   * (nothing else reads it).
   */
  private get listening(): boolean {
    return (this.fedByPoll || this.unsubscribe !== null) && !this.listenerDied;
  }

  private notePending(docs: readonly QueryDocumentSnapshot[]): void {
    if (this.stopped) return;
    const recordedAt = docs[0]?.get('recordedAt');
    this.oldestPendingAt = recordedAt instanceof Timestamp ? recordedAt.toMillis() : docs.length > 0 ? Date.now() : null;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 200;
  }

  private pendingQuery() {
    return pendingEventsQuery(this.options.db, this.partition, this.batchSize);
  }

  private kick(): void {
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        try {
          if (this.catchUp || this.listenerDied) {
            this.catchUp = false;
            const safetyNet = this.safetyNetDue;
            this.safetyNetDue = false;
            await this.drain(safetyNet ? (found) => this.warnOfMissed(found) : undefined);
          } else {
            await this.publishDelivered();
          }
        } catch (error) {
          this.options.logger.error({ err: error, partition: this.partition }, 'outbox relay failed to publish; will retry');
          this.catchUp = true;
          this.scheduleRetry();
        }
      } while (this.rerun && !this.stopped);
    })().finally(() => {
      this.running = null;
      if (this.listenerDied) this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, RETRY_AFTER_MS);
    this.retryTimer.unref();
  }

  /**
   * Runs the catch-up query every `catchUpIntervalMs` while the listener listens: in steady state it finds nothing
   * (one read a partition), but an event the listener never reports goes out within the interval instead of waiting
   * for the partition's next write or the relay's next start. A poll reads every partition each round already.
   */
  private armSafetyNet(): void {
    // Absent: the default; null: no safety net.
    const { catchUpIntervalMs = CATCH_UP_EVERY_MS } = this.options;
    if (this.fedByPoll || catchUpIntervalMs === null || this.catchUpTimer) return;
    this.catchUpTimer = setInterval(() => {
      this.safetyNetDue = true;
      this.catchUpNow();
    }, catchUpIntervalMs);
    this.catchUpTimer.unref();
  }

  private disarmSafetyNet(): void {
    if (this.catchUpTimer) clearInterval(this.catchUpTimer);
    this.catchUpTimer = null;
    this.safetyNetDue = false;
  }

  /**
   * Warns of the events the safety net found that the listener should have reported: it publishes them, but a
   * listener that misses events is worth an operator's look. Not counted: those in the listener's latest result
   * (their publish failed or waits for the lease), any when that result was a full page (it says nothing of the
   * rest), and those committed after it was read, less than LISTENER_GRACE_MS before the query: under load the
   * safety net often finds an event the listener is about to report.
   */
  private warnOfMissed(found: QuerySnapshot): void {
    const latest = this.delivered;
    if (latest && latest.docs.length >= this.batchSize) return;
    const reported = new Set(latest?.docs.map((doc) => doc.ref.path));
    const missed = found.docs.filter((doc) => {
      if (reported.has(doc.ref.path)) return false;
      const committedBeforeLatest = latest !== null && doc.createTime.valueOf() <= latest.readTime.valueOf();
      const overdue = found.readTime.toMillis() - doc.createTime.toMillis() >= LISTENER_GRACE_MS;
      return committedBeforeLatest || overdue;
    }).length;
    if (missed > 0) {
      this.options.logger.warn(
        { partition: this.partition, events: missed },
        'outbox listener missed pending events; its periodic catch-up publishes them',
      );
    }
  }

  /** Publishes the events of the listener's latest result that this publisher has not published yet. */
  private async publishDelivered(): Promise<void> {
    const pending = this.delivered?.docs.filter((doc) => !this.published.has(doc.ref.path)) ?? [];
    if (pending.length > 0) await this.publish(pending);
  }

  /** Publishes pending events in the order given (commit order), then clears their markers; returns how many went out. */
  private async publish(docs: readonly QueryDocumentSnapshot[]): Promise<number> {
    // A lease about to run out (renewals are late) is not published on: look again once it is renewed (or
    // given up, which stops this publisher).
    if (!this.mayPublish() || !(await this.originHasDrained())) {
      this.catchUp = true;
      this.scheduleRetry();
      return 0;
    }
    if (this.listening) for (const doc of docs) this.published.set(doc.ref.path, null);
    const { topic } = this.options;
    try {
      // Issue every publish in commit order before awaiting any: the client keeps per-key order, and a failed
      // publish pauses its key, so a stream's later events fail with it and stay pending too.
      const results = await Promise.allSettled(docs.map((doc) => this.publishEvent(topic, envelopeFromDocument(doc.data()))));
      // Only what Pub/Sub acknowledged is marked done; deleted rather than set to false, so the document leaves
      // the relays' index.
      const acknowledged = docs.filter((_, i) => results[i]!.status === 'fulfilled');
      if (acknowledged.length > 0) {
        const batch = this.options.db.batch();
        for (const doc of acknowledged) batch.update(doc.ref, { [PENDING]: FieldValue.delete() });
        // One commit: every write in it has the same time.
        const { writeTime } = (await batch.commit())[0]!;
        if (this.listening) for (const doc of acknowledged) this.published.set(doc.ref.path, writeTime);
      }
      const failure = results.find((r) => r.status === 'rejected');
      if (failure) throw failure.reason;
      this.options.logger.debug({ partition: this.partition, events: acknowledged.length }, 'outbox events published');
      return acknowledged.length;
    } finally {
      // Whatever is still pending (its publish or the clearing failed) goes out again: not skipped in later results.
      for (const doc of docs) if (this.published.get(doc.ref.path) === null) this.published.delete(doc.ref.path);
    }
  }

  /**
   * Whether the partition a growth opened may publish: its streams' earlier events sit in the partition they came
   * from, and go out first. So it waits until no writer can still append there by the old count (the switch plus
   * SWITCH_MARGIN_MS), and until that partition holds no pending event recorded before then; from then on it never
   * waits again. A partition of the store's first count never waits.
   */
  private async originHasDrained(): Promise<boolean> {
    if (this.originDrained) return true;
    const origin = (await streamPartitions(this.options.db)).openedBy(this.partition);
    if (origin) {
      if (await waitsForOrigin(this.options.db, origin)) return false;
      this.options.logger.info(
        { partition: this.partition, origin: origin.from },
        "outbox partition opened by a growth publishes: its streams' earlier events are out",
      );
    }
    this.originDrained = true;
    return true;
  }

  private async publishEvent(topic: Topic, event: EventEnvelope): Promise<void> {
    const { integrationTopic, openPersonalData } = this.options;
    const opened = integrationTopic && openPersonalData ? await this.opened(event, openPersonalData) : event;
    const publications = [publishTraced(topic, toEventMessage(event), event)];
    const integrationEvent = integrationTopic && opened ? this.integrationEventOf(opened) : null;
    if (integrationTopic && integrationEvent) {
      publications.push(publishTraced(integrationTopic, toIntegrationMessage(integrationEvent, event.streamId), event));
    }
    await Promise.all(publications);
  }

  /** An event whose sealed fields do not open (tampered) is kept off the integration topic, like one that does not map. */
  private async opened(event: EventEnvelope, open: (events: EventEnvelope[]) => Promise<EventEnvelope[]>): Promise<EventEnvelope | null> {
    try {
      return (await open([event]))[0] ?? null;
    } catch (error) {
      this.options.logger.error(
        { err: error, eventId: event.eventId, streamId: event.streamId, version: event.version, type: event.type },
        'personal data of the event does not open; not published as an integration event',
      );
      return null;
    }
  }

  /**
   * An event that cannot be mapped to the public contract (malformed data from an old bug, say) is
   * still published as a domain event, so projectors can dead-letter it; it is kept off the integration
   * topic and logged, rather than blocking the outbox.
   */
  private integrationEventOf(event: EventEnvelope) {
    try {
      return toIntegrationEvent(event);
    } catch (error) {
      this.options.logger.error(
        { err: error, eventId: event.eventId, streamId: event.streamId, version: event.version, type: event.type },
        'event does not fit the integration contract; not published as an integration event',
      );
      return null;
    }
  }
}

/**
 * One message in a PRODUCER span `publish <topic>`, continuing the trace the event was committed in; the message
 * carries the span's context (`traceparent`), so whoever reads it continues the same trace.
 *
 * Hand-written rather than the Pub/Sub client's own tracing (`enableOpenTelemetryTracing`): that one puts its
 * context in a `googclient_traceparent` attribute, opens each batch's publish RPC as a trace of its own (one
 * more root trace per batch, linked but outside the order's), and continues traces only in its own streaming-pull
 * subscriber, while the projectors here are pushed to. One span and the standard attribute do what is needed.
 */
function publishTraced(topic: Topic, message: EventMessage, event: EventEnvelope): Promise<void> {
  const topicId = topic.name.slice(topic.name.lastIndexOf('/') + 1);
  return inMessageSpan(
    `publish ${topicId}`,
    event.metadata,
    {
      hop: 'relay',
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'gcp_pubsub',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topicId,
        'messaging.gcp_pubsub.message.ordering_key': message.orderingKey,
        ...eventSpanAttributes(event),
        [ATTR.correlationId]: event.metadata.correlationId,
      },
    },
    async (span) => {
      const messageId = await publishInOrder(topic, { ...message, attributes: withTraceAttributes(message.attributes) });
      span.setAttribute('messaging.message.id', messageId);
      eventloomMetrics().eventsPublished.add(1, { topic: topicId });
    },
  );
}

async function publishInOrder(topic: Topic, message: EventMessage): Promise<string> {
  try {
    return await topic.publishMessage(message);
  } catch (error) {
    // A failed publish pauses its ordering key; resume it so the retry can go through.
    topic.resumePublishing(message.orderingKey);
    throw error;
  }
}
