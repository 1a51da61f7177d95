/**
 * The read-side port for time travel and the audit trail. Time travel: any read model as it was known
 * at an instant, folded from the events recorded up to then. "Known" is the point: an event counts from
 * the moment it was committed (`recordedAt`), so the answer to "what did we know at 3pm yesterday?"
 * never changes, whatever was recorded since. The audit trail: a stream's events with who, when, why
 * and which command, page by page. The Firestore adapter is src/firestore/firestoreTemporalReads.ts.
 */
import type { EventEnvelope } from './eventStore.ts';
import { handles, type AnyProjection } from './projection.ts';

export interface RecordedEvent {
  /** At the current version of its type. */
  readonly event: EventEnvelope;
  /** When the store committed it (server time). */
  readonly recordedAt: string;
}

export interface StreamHistoryPage {
  readonly events: RecordedEvent[];
  readonly hasNextPage: boolean;
}

export interface TemporalReads {
  /** A stream's events recorded up to `asOf`, in version order. */
  streamAsOf(streamId: string, asOf: Date): Promise<RecordedEvent[]>;

  /**
   * The events recorded up to `asOf`, across all streams, whose data holds `about.id` in the field
   * `about.field` (every event about a customer, in its own stream or its orders', names `customerId`),
   * in commit order. An adapter may serve only fields it has an index for.
   */
  eventsAboutAsOf(about: { readonly field: string; readonly id: string }, asOf: Date): Promise<RecordedEvent[]>;

  /** A page of a stream's history for the audit trail, oldest first; `afterVersion` continues from a previous page. */
  history(streamId: string, options: { readonly first: number; readonly afterVersion?: number }): Promise<StreamHistoryPage>;
}

/** Folds a projection's view of `viewId` from recorded events, as the projector would have built it from them. */
export function viewFromEvents<View>(projection: AnyProjection<View>, viewId: string, events: readonly RecordedEvent[]): View | null {
  let view: View | null = null;
  for (const { event } of events) {
    if (handles(projection, event) && projection.viewIds(event).includes(viewId)) view = projection.evolve(view, event);
  }
  return view;
}
