/**
 * Time travel and the audit trail (the TemporalReads port) from the Firestore event store: events carry
 * the server time of their commit (`recordedAt`), which these queries filter and order by.
 *
 * None of them needs a store-wide index on a growing field (production Firestore takes about 500 writes/s
 * into one): a stream's reads use the stream's own collection (COLLECTION scope, one stream's appends), and
 * the reads about a customer lead with an equality on `data.customerId`, so each customer is a range of its own.
 * firestore.indexes.json drops the COLLECTION_GROUP single-field indexes on `recordedAt` and `occurredAt`.
 */
import { Timestamp, type DocumentData, type Firestore, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { RecordedEvent, StreamHistoryPage, TemporalReads } from '../core/temporalReads.ts';
import { envelopeFromDocument } from './eventDocument.ts';
import { EVENTS, STREAMS } from './firestoreEventStore.ts';

export class FirestoreTemporalReads implements TemporalReads {
  constructor(
    private readonly db: Firestore,
    /** Lifts stored events to the current version of their type (opening their sealed personal fields). */
    private readonly upcast: (event: EventEnvelope) => EventEnvelope | Promise<EventEnvelope>,
  ) {}

  async streamAsOf(streamId: string, asOf: Date): Promise<RecordedEvent[]> {
    const snapshot = await this.db
      .collection(STREAMS)
      .doc(streamId)
      .collection(EVENTS)
      .where('recordedAt', '<=', Timestamp.fromDate(asOf))
      .orderBy('recordedAt')
      .get();
    return (await this.recorded(snapshot.docs)).sort((a, b) => a.event.version - b.event.version);
  }

  /**
   * Served by a collection-group index on `data.<field>` and `recordedAt` (firestore.indexes.json has
   * `customerId`'s). The equality on `data.<field>` leads that index, so `recordedAt` grows only within
   * one customer's range, which takes that customer's appends, not the whole store's: no partition needed.
   */
  async eventsAboutAsOf(about: { readonly field: string; readonly id: string }, asOf: Date): Promise<RecordedEvent[]> {
    const snapshot = await this.db
      .collectionGroup(EVENTS)
      .where(`data.${about.field}`, '==', about.id)
      .where('recordedAt', '<=', Timestamp.fromDate(asOf))
      .orderBy('recordedAt')
      .get();
    return this.recorded(snapshot.docs);
  }

  async history(streamId: string, options: { readonly first: number; readonly afterVersion?: number }): Promise<StreamHistoryPage> {
    const snapshot = await this.db
      .collection(STREAMS)
      .doc(streamId)
      .collection(EVENTS)
      .where('version', '>', options.afterVersion ?? 0)
      .orderBy('version')
      .limit(options.first + 1)
      .get();
    const events = await this.recorded(snapshot.docs.slice(0, options.first));
    return { events, hasNextPage: snapshot.size > options.first };
  }

  private recorded(docs: Array<QueryDocumentSnapshot<DocumentData>>): Promise<RecordedEvent[]> {
    return Promise.all(
      docs.map(async (doc) => ({
        event: await this.upcast(envelopeFromDocument(doc.data())),
        recordedAt: (doc.get('recordedAt') as Timestamp).toDate().toISOString(),
      })),
    );
  }
}
