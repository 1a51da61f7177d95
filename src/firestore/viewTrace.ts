/**
 * The trace context a projector stores beside each view it writes (`_trace`: the W3C `traceparent` of the
 * projector's span, only when that trace is sampled), so the live frame that carries the changed view joins the
 * trace of the order that changed it. Readers take it off again, with the view's partition
 * (src/firestore/readModelLayout.ts): projections and the GraphQL layer never see either.
 */
import type { DocumentSnapshot } from '@google-cloud/firestore';
import type { LiveTrace } from '../live/liveTrace.ts';
import { VIEW_PARTITION_FIELD } from './readModelLayout.ts';

export const VIEW_TRACE_FIELD = '_trace';

/** The document to write: the view, with the trace beside it when there is one. */
export function withViewTrace(view: object, trace: LiveTrace | undefined): object {
  return trace?.traceparent ? { ...view, [VIEW_TRACE_FIELD]: trace } : view;
}

/** A view document's data without its trace and its partition, and the trace. */
export function splitViewTrace<View>(data: Record<string, unknown>): { view: View; trace: LiveTrace | null } {
  const { [VIEW_TRACE_FIELD]: trace, [VIEW_PARTITION_FIELD]: _partition, ...view } = data;
  return { view: view as View, trace: isTrace(trace) ? trace : null };
}

/** A snapshot's view (null when the document does not exist), without its trace. */
export function viewOfSnapshot<View>(snapshot: DocumentSnapshot): View | null {
  return snapshot.exists ? splitViewTrace<View>(snapshot.data()!).view : null;
}

function isTrace(value: unknown): value is LiveTrace {
  return typeof value === 'object' && value !== null && typeof (value as { traceparent?: unknown }).traceparent === 'string';
}
