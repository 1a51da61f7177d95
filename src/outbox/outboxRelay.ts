/**
 * The outbox relay: publishes committed events to Pub/Sub, then clears their outbox marker.
 *
 * Every event document is committed with `pending: true` (see firestoreEventStore.ts), so nothing committed
 * can be lost: a relay that dies before publishing leaves the marker and the next holder of the partition
 * publishes the event; one that dies after publishing but before clearing publishes it again, which
 * projectors absorb (they guard on stream versions). Delivery is therefore at-least-once, in commit order per
 * stream (the ordering key is the stream id, and a stream's events all sit in one partition).
 *
 * Streams are spread over STREAM_PARTITIONS partitions. With `leases`, relays on several API instances share
 * the partitions (src/outbox/partitionLeases.ts) and each publishes only those it holds, so every event goes
 * out once however many instances run. Without, the relay publishes every partition: for a single process
 * (tests, tools).
 *
 * Traced: each message goes out in a PRODUCER span `publish <topic>`, a child of the trace the event was
 * committed in (the `traceparent` in its metadata), and carries that span's context as W3C `traceparent` in its
 * attributes, where the projectors continue it. Metrics: `eventloom.outbox.events_published` by topic, and
 * `eventloom.outbox.pending_age`, the age of the oldest event this relay has yet to publish.
 */
import { FieldPath, FieldValue, type Firestore, type QueryDocumentSnapshot, Timestamp } from '@google-cloud/firestore';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Topic } from '@google-cloud/pubsub';
import type { EventEnvelope } from '../core/eventStore.ts';
import { envelopeFromDocument } from '../firestore/eventDocument.ts';
import { EVENTS, PENDING } from '../firestore/firestoreEventStore.ts';
import { allPartitions } from '../firestore/partitions.ts';
import { toIntegrationEvent } from '../integration/toIntegrationEvent.ts';
import type { Logger } from '../logger.ts';
import { type EventMessage, toEventMessage, toIntegrationMessage } from '../pubsub/eventMessage.ts';
import { eventloomMetrics, observeOutboxPendingAge } from '../telemetry/metrics.ts';
import { ATTR, eventSpanAttributes, inMessageSpan, SpanKind, withTraceAttributes } from '../telemetry/tracing.ts';
import { PartitionLeases, type PartitionLeaseTimings } from './partitionLeases.ts';

const RETRY_AFTER_MS = 1000;

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
}

/** The events of one partition still to publish, in commit order (each stream's versions in order). */
export function pendingEventsQuery(db: Firestore, partition: number, limit: number) {
  // The partition comes first in the index (partition, pending, recordedAt): each partition's range grows at
  // the end, so the store-wide write rate is spread over STREAM_PARTITIONS ranges instead of one.
  return db
    .collectionGroup(EVENTS)
    .where('partition', '==', partition)
    .where(PENDING, '==', true)
    .orderBy('recordedAt')
    .orderBy(FieldPath.documentId())
    .limit(limit);
}

export class OutboxRelay {
  private readonly publishers = new Map<number, PartitionPublisher>();
  private readonly leases: PartitionLeases | null;
  private stopObservingPendingAge: (() => void) | null = null;

  constructor(private readonly options: OutboxRelayOptions) {
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

  /** Listens for pending events (of the partitions it holds, with leases) and publishes them as they are committed. */
  start(): void {
    this.stopObservingPendingAge ??= observeOutboxPendingAge(() => this.oldestPendingAgeSeconds());
    untraced(() => {
      if (this.leases) this.leases.start();
      else for (const partition of allPartitions()) this.publisher(partition).start();
    });
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
    this.stopObservingPendingAge?.();
    this.stopObservingPendingAge = null;
    if (this.leases) await this.leases.stop();
    await Promise.all([...this.publishers.values()].map((publisher) => publisher.stop()));
    this.publishers.clear();
  }

  /** The partitions this relay publishes now. */
  partitions(): number[] {
    return this.leases ? this.leases.partitions() : allPartitions();
  }

  /**
   * Publishes everything pending now in the partitions it holds; resolves when they are empty and returns the
   * events published. Every partition is tried even if one fails; then the first failure is thrown.
   */
  async drain(): Promise<number> {
    const outcomes = await untraced(() => Promise.allSettled(this.partitions().map((partition) => this.publisher(partition).drain())));
    const failure = outcomes.find((o) => o.status === 'rejected');
    if (failure) throw failure.reason;
    return outcomes.reduce((sum, o) => sum + (o.status === 'fulfilled' ? o.value : 0), 0);
  }

  private publisher(partition: number): PartitionPublisher {
    let publisher = this.publishers.get(partition);
    if (!publisher) {
      publisher = new PartitionPublisher(partition, this.options, () => this.leases?.holds(partition) ?? true);
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

/** Publishes one partition's pending events: a listener wakes it, a failed publish retries every second. */
class PartitionPublisher {
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The listener died: nothing tells the publisher about new events, so it looks for them every second. */
  private polling = false;
  /**
   * When the oldest event still to publish was recorded (epoch ms), as the listener or the last read saw it; null
   * when the partition was empty then. Both read in commit order, so the first document is the oldest.
   */
  oldestPendingAt: number | null = null;

  constructor(
    private readonly partition: number,
    private readonly options: OutboxRelayOptions,
    /** Whether this relay may still publish the partition (its lease is valid). */
    private readonly mayPublish: () => boolean,
  ) {}

  start(): void {
    this.stopped = false;
    this.polling = false;
    this.unsubscribe = this.pendingQuery().onSnapshot(
      (snapshot) => {
        this.notePending(snapshot.docs);
        if (!snapshot.empty) this.kick();
      },
      (error) => {
        this.options.logger.error({ err: error, partition: this.partition }, 'outbox listener failed; polling instead');
        this.polling = true;
        this.scheduleRetry();
      },
    );
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
    await this.running;
  }

  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.publishBatch();
      total += published;
      if (published === 0) return total;
    }
  }

  private notePending(docs: readonly QueryDocumentSnapshot[]): void {
    if (this.stopped) return;
    const recordedAt = docs[0]?.get('recordedAt');
    this.oldestPendingAt = recordedAt instanceof Timestamp ? recordedAt.toMillis() : docs.length > 0 ? Date.now() : null;
  }

  private pendingQuery() {
    return pendingEventsQuery(this.options.db, this.partition, this.options.batchSize ?? 200);
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
          await this.drain();
        } catch (error) {
          this.options.logger.error({ err: error, partition: this.partition }, 'outbox relay failed to publish; will retry');
          this.scheduleRetry();
        }
      } while (this.rerun && !this.stopped);
    })().finally(() => {
      this.running = null;
      if (this.polling) this.scheduleRetry();
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

  /** Publishes one batch of pending events in commit order; returns how many went out. */
  private async publishBatch(): Promise<number> {
    const snapshot = await this.pendingQuery().get();
    this.notePending(snapshot.docs);
    if (snapshot.empty) return 0;
    // A lease about to run out (renewals are late) is not published on: look again once it is renewed (or
    // given up, which stops this publisher).
    if (!this.mayPublish()) {
      this.scheduleRetry();
      return 0;
    }
    const { topic } = this.options;
    // Issue every publish in commit order before awaiting any: the client keeps per-key order, and a failed
    // publish pauses its key, so a stream's later events fail with it and stay pending too.
    const results = await Promise.allSettled(snapshot.docs.map((doc) => this.publishEvent(topic, envelopeFromDocument(doc.data()))));

    const batch = this.options.db.batch();
    let published = 0;
    results.forEach((result, i) => {
      if (result.status !== 'fulfilled') return;
      published++;
      // Deleted rather than set to false: the document leaves the relays' index.
      batch.update(snapshot.docs[i]!.ref, { [PENDING]: FieldValue.delete() });
    });
    if (published > 0) await batch.commit();
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    this.options.logger.debug({ partition: this.partition, events: published }, 'outbox events published');
    return published;
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
