/**
 * The fields that link a log line to its trace in Cloud Logging: `logging.googleapis.com/trace` (the trace's
 * full resource name), `logging.googleapis.com/spanId` and `logging.googleapis.com/trace_sampled`, read from
 * the active span when there is one. The logger (src/logger.ts) adds them to every line.
 */
import { trace } from '@opentelemetry/api';

/** The project traces are written to; set by startTelemetry. */
let traceProject = 'unknown';

export function setTraceProject(projectId: string): void {
  traceProject = projectId;
}

export function traceLogFields(): Record<string, string | boolean> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return {};
  return {
    'logging.googleapis.com/trace': `projects/${traceProject}/traces/${traceId}`,
    'logging.googleapis.com/spanId': spanId,
    // The sampled bit of W3C trace flags: whether Cloud Trace has this trace to show.
    'logging.googleapis.com/trace_sampled': (traceFlags & 1) === 1,
  };
}
