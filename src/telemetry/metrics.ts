/**
 * Every metric Eventloom records, as OpenTelemetry instruments, named once here (docs/observability.md
 * lists them). Exported by startTelemetry: to Cloud Monitoring or OTLP, and as Prometheus text on the
 * operator port's /metrics.
 *
 * Instruments are created from the meter provider registered when they are first asked for: the metrics API
 * has no proxy provider (unlike tracing), so a module must not create them at import time, before
 * startTelemetry has run. Without a provider they are no-ops.
 *
 * Attributes are bounded sets (command names, outcomes, read-model names): never ids, which would make a
 * time series per order.
 */
import { type Attributes, type Counter, type Gauge, type Histogram, type Meter, metrics } from '@opentelemetry/api';

const METER_NAME = 'eventloom';

/** Latency buckets in seconds, from a fast Firestore commit to a slow projection. */
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface EventloomMetrics {
  /** Commands run, by `command` (PlaceOrder, ...) and `outcome` (ok, replayed, rejected, conflict, error). */
  readonly commands: Counter;
  /** How long a command took, load, decide and commit with its retries, by `command` and `outcome`. */
  readonly commandDuration: Histogram;
  /** How long one append (the Firestore commit) took, by `outcome` (ok, conflict, error). */
  readonly appendDuration: Histogram;
  /** Appends refused because another writer got to a stream first, by `command`. */
  readonly conflicts: Counter;
  /** Commands decided again after a conflict, by `command`. */
  readonly retries: Counter;
  /** Messages the relay published, by `topic` (a re-publish after a crash counts again: delivery is at least once). */
  readonly eventsPublished: Counter;
  /**
   * Pushed events a projector handled, by `read_model` and `outcome`: applied, gap_filled (applied after reading
   * missing earlier events from the store), duplicate, ignored (a type it does not read), rejected (400: not an
   * event it can apply, dead-lettered after the last attempt), error (500: Pub/Sub redelivers).
   */
  readonly eventsApplied: Counter;
  /** How far a read model trails the store, in seconds of event time, by `read_model`. */
  readonly projectionLagSeconds: Gauge;
  /** Events of a read model's types stored after its newest applied one (capped), by `read_model`. */
  readonly projectionLagEvents: Gauge;
  /** 1 when a read model has had events pending for longer than the stall threshold, else 0; by `read_model`. */
  readonly projectionStalled: Gauge;
  /** Messages dead-lettered, by `read_model`. */
  readonly deadLetters: Counter;
  /** Events a rebuild has processed so far, by `read_model` and `target`. */
  readonly rebuildProgress: Gauge;
  /** Frames sent to live subscribers, by `operation`. */
  readonly liveFrames: Counter;
}

function create(meter: Meter): EventloomMetrics {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: SECONDS } });
  return {
    commands: meter.createCounter('eventloom.commands', { description: 'Commands run, by command and outcome' }),
    commandDuration: seconds('eventloom.command.duration', 'Command latency: load, decide, commit, with retries'),
    appendDuration: seconds('eventloom.append.duration', 'Event store append (commit) latency'),
    conflicts: meter.createCounter('eventloom.append.conflicts', { description: 'Appends refused by optimistic concurrency' }),
    retries: meter.createCounter('eventloom.command.retries', { description: 'Commands decided again after a conflict' }),
    eventsPublished: meter.createCounter('eventloom.outbox.events_published', { description: 'Events the outbox relay published' }),
    eventsApplied: meter.createCounter('eventloom.projection.events', { description: 'Events handled by a projector, by outcome' }),
    projectionLagSeconds: meter.createGauge('eventloom.projection.lag', {
      description: 'How far a read model trails the event store, in event time',
      unit: 's',
    }),
    projectionLagEvents: meter.createGauge('eventloom.projection.lag_events', {
      description: 'Events of its types stored after the newest a read model applied (capped)',
    }),
    projectionStalled: meter.createGauge('eventloom.projection.stalled', {
      description: '1 when a read model has had events pending beyond the stall threshold',
    }),
    deadLetters: meter.createCounter('eventloom.projection.dead_letters', { description: 'Messages dead-lettered' }),
    rebuildProgress: meter.createGauge('eventloom.projection.rebuild_progress', { description: 'Events a running rebuild has processed' }),
    liveFrames: meter.createCounter('eventloom.live.frames', { description: 'Frames sent to live subscribers' }),
  };
}

let cached: { provider: unknown; instruments: EventloomMetrics } | undefined;

/** The instruments of the meter provider registered now (no-ops without one). Cheap: call it at each use. */
export function eventloomMetrics(): EventloomMetrics {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) cached = { provider, instruments: create(provider.getMeter(METER_NAME)) };
  return cached.instruments;
}

/**
 * Reports the age in seconds of the oldest event this instance's outbox relay has yet to publish
 * (`eventloom.outbox.pending_age`), read when metrics are collected, so it keeps growing while a publish is
 * stuck. Returns the function that stops reporting.
 */
export function observeOutboxPendingAge(ageSeconds: () => number): () => void {
  const meter = metrics.getMeterProvider().getMeter(METER_NAME);
  const gauge = meter.createObservableGauge('eventloom.outbox.pending_age', {
    description: 'Age of the oldest event the outbox relay has yet to publish (0: none pending)',
    unit: 's',
  });
  const callback = (result: { observe(value: number): void }) => result.observe(ageSeconds());
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}

/** What a live-streams owner reports: listeners and subscribers open now in this instance. */
export interface LiveCounts {
  readonly listeners: number;
  readonly subscribers: number;
}

/**
 * Reports the live listeners and subscribers of this instance as observable gauges
 * (`eventloom.live.listeners`, `eventloom.live.subscribers`), read when metrics are collected. Returns the
 * function that stops reporting.
 */
export function observeLiveCounts(counts: () => LiveCounts, attributes: Attributes = {}): () => void {
  const meter = metrics.getMeterProvider().getMeter(METER_NAME);
  const listeners = meter.createObservableGauge('eventloom.live.listeners', { description: 'Firestore listeners open in this instance' });
  const subscribers = meter.createObservableGauge('eventloom.live.subscribers', { description: 'Live subscribers in this instance' });
  const observe = meter.addBatchObservableCallback.bind(meter);
  const callback = (result: Parameters<Parameters<typeof observe>[0]>[0]) => {
    const now = counts();
    result.observe(listeners, now.listeners, attributes);
    result.observe(subscribers, now.subscribers, attributes);
  };
  observe(callback, [listeners, subscribers]);
  return () => meter.removeBatchObservableCallback(callback, [listeners, subscribers]);
}
