/**
 * OpenTelemetry for one process (the API, or the projector functions): a tracer provider with W3C trace
 * context propagation and the sampler as shipped, a meter provider, and the exporters the configuration
 * names (TelemetryConfig.exporter): Cloud Trace and Cloud Monitoring on Google Cloud, OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, otherwise an in-memory buffer of the last traces (RecentTraces).
 * Metrics are always also readable as Prometheus text (`prometheus`, served on the operator port).
 *
 * The providers are registered globally, so the spans the Firestore and Pub/Sub clients make of their own
 * calls join ours. `shutdown()` flushes what is buffered and unregisters them (SIGTERM leaves 10 s on Cloud Run).
 *
 * Sampling as shipped: parent-based. A request whose `traceparent` says sampled (Cloud Run's front end decides
 * for most requests) is recorded, one that says not sampled is not; a trace this process starts itself is
 * recorded with probability `sampleRatio` (1 locally, 0.1 on Google Cloud by default). Consumers (relay,
 * projectors) follow the decision carried in the event's trace context, so a trace is recorded whole or not at all.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config.ts';
import { setTraceProject } from './logFields.ts';
import { RecentTraces } from './recentTraces.ts';

export interface Telemetry {
  /** The last traces of this process; null when spans go to Cloud Trace or OTLP instead (or tracing is off). */
  readonly recentTraces: RecentTraces | null;
  /** Metrics as Prometheus text: `prometheus.getMetricsRequestHandler(req, res)`. */
  readonly prometheus: PrometheusExporter;
  /** Exports what is buffered, then unregisters the providers. Later calls return the first call's promise. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** `service.name`: `eventloom-api`, `eventloom-functions`. */
  readonly serviceName: string;
  /** More span processors, beside the configured exporter (tests add an in-memory exporter). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Replaces the sampler as shipped (the bench switches sampling on and off with one). */
  readonly sampler?: Sampler;
  /** How often metrics are pushed to Cloud Monitoring or OTLP. Default 60 s (Cloud Monitoring's own pace). */
  readonly metricExportIntervalMs?: number;
}

/** Metric export intervals below 10 s are refused by Cloud Monitoring; 60 s is its usual pace. */
const METRIC_EXPORT_INTERVAL_MS = 60_000;

/** Parent-based: follow the caller's decision; for traces this process starts, record `sampleRatio` of them. */
export function shippedSampler(config: Pick<TelemetryConfig, 'sampleRatio'>): Sampler {
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) });
}

export async function startTelemetry(config: TelemetryConfig, options: TelemetryOptions): Promise<Telemetry> {
  setTraceProject(config.projectId);
  const resource = resourceFromAttributes({
    'service.name': options.serviceName,
    ...(config.instance ? { 'faas.name': config.instance } : {}),
    'gcp.project_id': config.projectId,
  });
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  if (!config.enabled) {
    // No providers: every API call stays a no-op, which is what "tracing off" measures against.
    return { recentTraces: null, prometheus, shutdown: async () => {} };
  }

  const recentTraces = config.exporter.kind === 'memory' ? new RecentTraces() : null;
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  const readers: MetricReader[] = [prometheus];
  const exportIntervalMillis = options.metricExportIntervalMs ?? METRIC_EXPORT_INTERVAL_MS;
  switch (config.exporter.kind) {
    case 'memory':
      // Synchronous and cheap: the buffer is a Map, so a span is visible as soon as it ends.
      spanProcessors.push(new SimpleSpanProcessor(recentTraces!));
      break;
    case 'otlp': {
      // Loaded only where used: each exporter brings its own transport.
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
      const base = config.exporter.endpoint.replace(/\/$/, '');
      spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` })));
      readers.push(
        new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis }),
      );
      break;
    }
    case 'google-cloud': {
      const { TraceExporter } = await import('@google-cloud/opentelemetry-cloud-trace-exporter');
      const { MetricExporter } = await import('@google-cloud/opentelemetry-cloud-monitoring-exporter');
      spanProcessors.push(new BatchSpanProcessor(new TraceExporter({ projectId: config.projectId })));
      readers.push(
        new PeriodicExportingMetricReader({ exporter: new MetricExporter({ projectId: config.projectId }), exportIntervalMillis }),
      );
      break;
    }
  }

  const tracerProvider = new BasicTracerProvider({
    resource,
    sampler: options.sampler ?? shippedSampler(config),
    spanProcessors,
  });
  const meterProvider = new MeterProvider({ resource, readers });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  }
  return {
    recentTraces,
    prometheus,
    shutdown() {
      stopping ??= stop();
      return stopping;
    },
  };
}
