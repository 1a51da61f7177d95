/**
 * The trace a live value belongs to: read-side adapters tag each value a listener hands out with the W3C trace
 * context of the write that produced it (a projector stores it beside the view), and the GraphQL layer makes the
 * subscription frame that carries the value a span in that trace. A side table rather than a field, so views keep
 * their shape; weak, so a value forgotten by every subscriber takes its tag with it.
 */

/** W3C trace context headers. */
export interface LiveTrace {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

const traces = new WeakMap<object, LiveTrace>();

export function tagLiveValue<T>(value: T, trace: LiveTrace | null): T {
  if (trace && typeof value === 'object' && value !== null) traces.set(value, trace);
  return value;
}

/**
 * The trace of a value a live subscription is about to send: the value's own tag, or for a list (the changes of a
 * query, its results) the tag of the last item, or item's `view`, that has one (only changed documents are tagged).
 */
export function liveTraceOf(value: unknown): LiveTrace | null {
  if (typeof value !== 'object' || value === null) return null;
  const own = traces.get(value);
  if (own) return own;
  if (!Array.isArray(value)) return null;
  for (let i = value.length - 1; i >= 0; i--) {
    const item: unknown = value[i];
    if (typeof item !== 'object' || item === null) continue;
    const tagged = traces.get(item) ?? ('view' in item && typeof item.view === 'object' && item.view ? traces.get(item.view) : undefined);
    if (tagged) return tagged;
  }
  return null;
}
