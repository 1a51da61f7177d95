/**
 * Spans and trace context for every hop, through the OpenTelemetry API only: without a registered SDK
 * (startTelemetry), every call here is a cheap no-op, so modules can be traced without knowing whether
 * tracing is on.
 *
 * The trace context crosses process boundaries as W3C `traceparent` (and `tracestate`): in event metadata
 * (written by the command, read by the relay), in Pub/Sub message attributes (written by the relay, read
 * by the projectors), and in HTTP headers (Cloud Run's front end sets one on every request).
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/** Which part of the pipeline a span belongs to: the `hop` column of `npm run traces`. */
export type Hop = 'http' | 'graphql' | 'command' | 'store' | 'relay' | 'projector' | 'workflow' | 'live';

/** Span attributes of our own, beside the OpenTelemetry semantic conventions. */
export const ATTR = {
  hop: 'eventloom.hop',
  correlationId: 'eventloom.correlation_id',
  command: 'eventloom.command',
  outcome: 'eventloom.outcome',
  attempt: 'eventloom.attempt',
  streamId: 'eventloom.stream_id',
  eventId: 'eventloom.event_id',
  eventType: 'eventloom.event_type',
  version: 'eventloom.version',
  readModel: 'eventloom.read_model',
  /** How many events a projector read back from the store to fill a gap before the delivered one. */
  gapFilled: 'eventloom.gap_filled',
  /** How many times the projector's Firestore transaction ran (more than 1: it was retried on contention). */
  transactionAttempts: 'eventloom.transaction_attempts',
  /** Pub/Sub's count of deliveries of this message (sent with a dead-letter policy; the emulator omits it). */
  deliveryAttempt: 'messaging.gcp_pubsub.message.delivery_attempt',
} as const;

/** Which event a span is about: the same four attributes on the relay's, the projectors' and the dead-letter spans. */
export function eventSpanAttributes(event: {
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
}): Record<string, string | number> {
  return { [ATTR.eventId]: event.eventId, [ATTR.streamId]: event.streamId, [ATTR.version]: event.version, [ATTR.eventType]: event.type };
}

const TRACER_NAME = 'eventloom';

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** The W3C trace context headers, as they travel in metadata, attributes and HTTP headers. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export interface SpanOptions {
  readonly hop: Hop;
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: Link[];
  /** The parent; default the active context. */
  readonly parent?: Context;
  /** Errors that are an expected answer (a domain rule refusing), not a failure: the span stays OK. */
  readonly isExpected?: (error: unknown) => boolean;
}

/**
 * Runs `work` inside a new active span and ends it when `work` settles: an error is recorded on the span
 * (status ERROR) and rethrown unchanged.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: { [ATTR.hop]: options.hop, ...options.attributes },
      ...(options.links ? { links: options.links } : {}),
    },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        if (!options.isExpected?.(error)) recordError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks a span failed by `error`: the exception event and status ERROR, with the error's code when it has one. */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') span.setAttribute('error.type', String(code));
  }
  span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
}

/**
 * The active trace context as W3C headers, or `{}` when no span is active (tracing off, or outside any
 * request). The command stores this in each event's metadata, the relay in each message's attributes.
 */
export function currentTraceCarrier(): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Message attributes with the active trace context added (Pub/Sub attributes are strings only). */
export function withTraceAttributes(attributes: Readonly<Record<string, string>>): Record<string, string> {
  return { ...attributes, ...currentTraceCarrier() };
}

/**
 * The context a carrier (event metadata, message attributes, HTTP headers as a plain object) names; the
 * root context when it names none or a malformed one, so a consumer span then starts a trace of its own.
 */
export function contextFrom(carrier: Readonly<Record<string, unknown>> | TraceCarrier | null | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  const headers: TraceCarrier = {};
  const { traceparent, tracestate } = carrier as Readonly<Record<string, unknown>>;
  if (typeof traceparent === 'string') headers.traceparent = traceparent;
  if (typeof tracestate === 'string') headers.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/**
 * Handles one message of a pipeline hop as a span continuing the trace its carrier names (the event's
 * metadata, or the Pub/Sub message's attributes): the relay publishing an outbox record, a projector
 * applying a pushed event, a live frame carrying a changed view. With no trace context in the carrier, the
 * span starts a new trace.
 *
 * Call sites (see docs/observability.md): the relay wraps each publish in
 * `inMessageSpan('publish <topic>', event.metadata, { hop: 'relay', kind: SpanKind.PRODUCER }, ...)` and sends
 * `withTraceAttributes(attributes)`; each projector wraps its handling in
 * `inMessageSpan('project <readModel>', message.attributes, { hop: 'projector', kind: SpanKind.CONSUMER }, ...)`.
 */
export function inMessageSpan<T>(
  name: string,
  carrier: Readonly<Record<string, unknown>> | null | undefined,
  options: Omit<SpanOptions, 'parent'>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return inSpan(name, { ...options, parent: contextFrom(carrier) }, work);
}

/**
 * The active trace context, only when the active span is recorded (sampled): what a projector stores beside
 * the views it writes, so the live frame that carries a view joins the write's trace. An unsampled trace
 * has nothing to join, and storing its context would only cost bytes on every view.
 */
export function recordedTraceCarrier(): TraceCarrier {
  return trace.getActiveSpan()?.isRecording() ? currentTraceCarrier() : {};
}

/** The trace id of the active span, or null: for log lines and test assertions. */
export function activeTraceId(): string | null {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : null;
}

export { SpanKind };
