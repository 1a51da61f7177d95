/**
 * The last traces of a development system, in memory: the span exporter used when no cloud or OTLP
 * exporter is configured. The API serves them on its operator port (`GET /traces`), and
 * `npm run traces -- <correlationId>` prints one as a waterfall. Other local processes (the projector
 * functions) send theirs here as OTLP/HTTP JSON (`POST /v1/traces`), so one buffer holds every hop.
 *
 * Bounded: the oldest traces are dropped beyond `maxTraces`, and spans beyond `maxSpansPerTrace` in a trace.
 */
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR } from './tracing.ts';

/** A finished span as the waterfall shows it. */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly name: string;
  /** The process that recorded it (`service.name`). */
  readonly service: string;
  /** Our hop attribute, or the library that made the span (`@google-cloud/firestore`, ...). */
  readonly hop: string;
  /** Epoch milliseconds. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly error: boolean;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

export interface RecentTracesOptions {
  readonly maxTraces?: number;
  readonly maxSpansPerTrace?: number;
}

export class RecentTraces implements SpanExporter {
  private readonly traces = new Map<string, SpanRecord[]>();
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;

  constructor(options: RecentTracesOptions = {}) {
    this.maxTraces = options.maxTraces ?? 500;
    this.maxSpansPerTrace = options.maxSpansPerTrace ?? 1_000;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.add(spans.map(toRecord));
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}

  add(records: readonly SpanRecord[]): void {
    for (const record of records) {
      let spans = this.traces.get(record.traceId);
      if (!spans) {
        spans = [];
        this.traces.set(record.traceId, spans);
        // A Map iterates in insertion order: the first key is the oldest trace.
        if (this.traces.size > this.maxTraces) this.traces.delete(this.traces.keys().next().value as string);
      }
      if (spans.length < this.maxSpansPerTrace) spans.push(record);
    }
  }

  /** One trace's spans in start order; empty when it is unknown or was dropped. */
  trace(traceId: string): SpanRecord[] {
    return [...(this.traces.get(traceId) ?? [])].sort((a, b) => a.startMs - b.startMs);
  }

  /** The traces whose spans carry this correlation id, oldest first. */
  traceIdsOf(correlationId: string): string[] {
    const found: string[] = [];
    for (const [traceId, spans] of this.traces) {
      if (spans.some((span) => span.attributes[ATTR.correlationId] === correlationId)) found.push(traceId);
    }
    return found;
  }

  /** The newest traces' ids, newest first, with their root span's name: what `npm run traces` lists. */
  latest(limit: number): Array<{ traceId: string; root: string; startMs: number; correlationId: string | null }> {
    return [...this.traces.entries()]
      .slice(-limit)
      .reverse()
      .map(([traceId, spans]) => {
        const root = spans.find((span) => !span.parentSpanId) ?? spans[0]!;
        const correlation = spans.find((span) => typeof span.attributes[ATTR.correlationId] === 'string');
        return {
          traceId,
          root: root.name,
          startMs: root.startMs,
          correlationId: (correlation?.attributes[ATTR.correlationId] as string) ?? null,
        };
      });
  }
}

function toRecord(span: ReadableSpan): SpanRecord {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
  }
  const hop = span.attributes[ATTR.hop];
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    service: String(span.resource.attributes['service.name'] ?? 'unknown'),
    hop: typeof hop === 'string' ? hop : span.instrumentationScope.name,
    startMs: hrTimeToMilliseconds(span.startTime),
    durationMs: hrTimeToMilliseconds(span.duration),
    error: span.status.code === 2,
    attributes,
  };
}

/** An OTLP/HTTP JSON export request, as far as the buffer reads it. */
interface OtlpJsonTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        attributes?: OtlpAttribute[];
        status?: { code?: number };
      }>;
    }>;
  }>;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}

/**
 * The spans of an OTLP/HTTP JSON export request (what `@opentelemetry/exporter-trace-otlp-http` sends, ids
 * as hex), for the buffer of another process. Anything it cannot read is skipped, not guessed at.
 */
export function spansFromOtlpJson(body: unknown): SpanRecord[] {
  const request = body as OtlpJsonTraces;
  const records: SpanRecord[] = [];
  for (const resourceSpans of request?.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        if (typeof span.traceId !== 'string' || typeof span.spanId !== 'string') continue;
        const attributes = attributesOf(span.attributes);
        const startMs = Number(BigInt(span.startTimeUnixNano) / 1000n) / 1000;
        const endMs = Number(BigInt(span.endTimeUnixNano) / 1000n) / 1000;
        const hop = attributes[ATTR.hop];
        records.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || null,
          name: span.name,
          service: String(resource['service.name'] ?? 'unknown'),
          hop: typeof hop === 'string' ? hop : (scopeSpans.scope?.name ?? 'unknown'),
          startMs,
          durationMs: endMs - startMs,
          error: span.status?.code === 2,
          attributes,
        });
      }
    }
  }
  return records;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const v =
      value?.stringValue ?? value?.boolValue ?? value?.doubleValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
    if (v !== undefined) attributes[key] = v;
  }
  return attributes;
}
