/**
 * Time travel: any read model as it was known at an instant, folded from the events recorded up to
 * then. "Known" is the point: an event counts from the moment it was committed (`recordedAt`), so the
 * answer to "what did we know at 3pm yesterday?" never changes, whatever was recorded since.
 *
 * Also the audit trail: a stream's events with who, when, why and which command, page by page.
 */
import { Timestamp, type DocumentData, type Firestore, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { EventEnvelope } from '../core/eventStore.ts';
import { handles, type AnyProjection } from '../core/projection.ts';
import { envelopeFromDocument } from './eventDocument.ts';
import { EVENTS, STREAMS } from './firestoreEventStore.ts';

export interface RecordedEvent {
  readonly event: EventEnvelope;
  /** When the store committed it (server time). */
  readonly recordedAt: string;
}

export class TemporalReads {
  constructor(
    private readonly db: Firestore,
    /** Lifts stored events to the current version of their type. */
    private readonly upcast: (event: EventEnvelope) => EventEnvelope,
  ) {}

  /** A stream's events recorded up to `asOf`, in version order. */
  async streamAsOf(streamId: string, asOf: Date): Promise<RecordedEvent[]> {
    const snapshot = await this.db
      .collection(STREAMS)
      .doc(streamId)
      .collection(EVENTS)
      .where('recordedAt', '<=', Timestamp.fromDate(asOf))
      .orderBy('recordedAt')
      .get();
    return this.recorded(snapshot.docs).sort((a, b) => a.event.version - b.event.version);
  }

  /**
   * The events about one customer recorded up to `asOf`, across their own stream and their orders'
   * streams (every order event names its customer), in commit order.
   */
  async customerEventsAsOf(customerId: string, asOf: Date): Promise<RecordedEvent[]> {
    const snapshot = await this.db
      .collectionGroup(EVENTS)
      .where('data.customerId', '==', customerId)
      .where('recordedAt', '<=', Timestamp.fromDate(asOf))
      .orderBy('recordedAt')
      .get();
    return this.recorded(snapshot.docs);
  }

  /** Folds a projection's view of `viewId` from events, as the projector would have built it from them. */
  viewFrom<View>(projection: AnyProjection<View>, viewId: string, events: readonly RecordedEvent[]): View | null {
    let view: View | null = null;
    for (const { event } of events) {
      if (handles(projection, event) && projection.viewIds(event).includes(viewId)) view = projection.evolve(view, event);
    }
    return view;
  }

  /**
   * A page of a stream's history for the audit trail, oldest first; `afterVersion` continues from a
   * previous page.
   */
  async history(streamId: string, options: { first: number; afterVersion?: number }): Promise<{ events: RecordedEvent[]; hasNextPage: boolean }> {
    const snapshot = await this.db
      .collection(STREAMS)
      .doc(streamId)
      .collection(EVENTS)
      .where('version', '>', options.afterVersion ?? 0)
      .orderBy('version')
      .limit(options.first + 1)
      .get();
    const events = this.recorded(snapshot.docs.slice(0, options.first));
    return { events, hasNextPage: snapshot.size > options.first };
  }

  private recorded(docs: Array<QueryDocumentSnapshot<DocumentData>>): RecordedEvent[] {
    return docs.map((doc) => ({
      event: this.upcast(envelopeFromDocument(doc.data())),
      recordedAt: (doc.get('recordedAt') as Timestamp).toDate().toISOString(),
    }));
  }
}
