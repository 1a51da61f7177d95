/**
 * The outbox relay: publishes committed events to Pub/Sub, then marks their outbox record done.
 *
 * Every append commits its events and an outbox record together, so nothing committed can be lost:
 * a relay that dies before publishing leaves the record pending and the next relay publishes it;
 * one that dies after publishing but before marking publishes it again, which projectors absorb
 * (they guard on stream versions). Delivery is therefore at-least-once, in commit order per stream
 * (the ordering key is the stream id).
 */
import { FieldValue, Timestamp, type Firestore, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { Topic } from '@google-cloud/pubsub';
import type { EventEnvelope } from '../core/eventStore.ts';
import { OUTBOX } from '../firestore/firestoreEventStore.ts';
import type { Logger } from '../logger.ts';
import { toIntegrationEvent } from '../integration/toIntegrationEvent.ts';
import { toEventMessage, toIntegrationMessage } from '../pubsub/eventMessage.ts';

/** How long a published record stays for inspection; a Firestore TTL policy on `expireAt` deletes it. */
const KEEP_PUBLISHED_MS = 7 * 24 * 60 * 60 * 1000;
const RETRY_AFTER_MS = 1000;

export interface OutboxRelayOptions {
  readonly db: Firestore;
  /** The domain events topic, a handle created with `messageOrdering: true`. */
  readonly topic: Topic;
  /**
   * The public integration events topic (also with `messageOrdering: true`). Domain events that map to
   * an integration event are published there too, before the record counts as done.
   */
  readonly integrationTopic?: Topic;
  readonly logger: Logger;
  readonly batchSize?: number;
  /**
   * Opens sealed personal fields for the integration events, whose consumers get clear text (or
   * `[erased]`); domain events go out sealed, as stored, so Pub/Sub and dead letters never hold clear text.
   */
  readonly openPersonalData?: (events: EventEnvelope[]) => Promise<EventEnvelope[]>;
}

export class OutboxRelay {
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The listener died: nothing tells the relay about new records, so it looks for them every second. */
  private polling = false;

  constructor(private readonly options: OutboxRelayOptions) {}

  /** Listens for pending records and publishes them as they are committed. */
  start(): void {
    this.stopped = false;
    this.polling = false;
    this.unsubscribe = this.pendingQuery().onSnapshot(
      (snapshot) => {
        if (!snapshot.empty) this.kick();
      },
      (error) => {
        this.options.logger.error({ err: error }, 'outbox listener failed; polling instead');
        this.polling = true;
        this.scheduleRetry();
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // Cleared for a later start(), whose retries would otherwise wait for a timer that will never fire.
    this.retryTimer = null;
    await this.running;
  }

  /** Publishes everything pending now; resolves when the outbox is empty. Returns the events published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.publishBatch();
      total += published;
      if (published === 0) return total;
    }
  }

  private pendingQuery() {
    return this.options.db
      .collection(OUTBOX)
      .where('pending', '==', true)
      .orderBy('createdAt')
      .limit(this.options.batchSize ?? 200);
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
          this.options.logger.error({ err: error }, 'outbox relay failed to publish; will retry');
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

  /** Publishes one batch of pending records in commit order; returns how many events went out. */
  private async publishBatch(): Promise<number> {
    const snapshot = await this.pendingQuery().get();
    if (snapshot.empty) return 0;
    const { topic } = this.options;
    // Issue every publish in commit order before awaiting any: the client keeps per-key order.
    const publications = snapshot.docs.map((doc) => this.publishRecord(topic, doc));
    const results = await Promise.allSettled(publications);

    const batch = this.options.db.batch();
    let events = 0;
    results.forEach((result, i) => {
      if (result.status !== 'fulfilled') return;
      events += result.value;
      batch.update(snapshot.docs[i]!.ref, {
        pending: false,
        publishedAt: FieldValue.serverTimestamp(),
        expireAt: Timestamp.fromMillis(Date.now() + KEEP_PUBLISHED_MS),
      });
    });
    await batch.commit();
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    this.options.logger.debug({ records: snapshot.size, events }, 'outbox records published');
    return events;
  }

  private async publishRecord(topic: Topic, doc: QueryDocumentSnapshot): Promise<number> {
    const events = doc.get('events') as EventEnvelope[];
    const { integrationTopic, openPersonalData } = this.options;
    const opened = await Promise.all(
      events.map((event) => (integrationTopic && openPersonalData ? this.opened(event, openPersonalData) : event)),
    );
    await Promise.all(
      events.flatMap((event, i) => {
        const publications = [publishInOrder(topic, toEventMessage(event))];
        const openedEvent = opened[i];
        const integrationEvent = integrationTopic && openedEvent ? this.integrationEventOf(openedEvent) : null;
        if (integrationTopic && integrationEvent) {
          publications.push(publishInOrder(integrationTopic, toIntegrationMessage(integrationEvent, event.streamId)));
        }
        return publications;
      }),
    );
    return events.length;
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

async function publishInOrder(topic: Topic, message: { data: Buffer; attributes: Record<string, string>; orderingKey: string }) {
  try {
    await topic.publishMessage(message);
  } catch (error) {
    // A failed publish pauses its ordering key; resume it so the retry can go through.
    topic.resumePublishing(message.orderingKey);
    throw error;
  }
}
