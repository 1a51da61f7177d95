/**
 * (j) What tracing costs an order: placeOrder latency (POST → response) and end-to-end latency (POST → the
 * subscription frame carrying the order), with tracing on, sampling as shipped, against off, in the same run.
 *
 * One pipeline in this process (test/support/pipeline.ts: the API, the relay, the projector functions), with
 * the OpenTelemetry SDK registered as the API registers it (in-memory exporter, the shipped parent-based
 * sampler: locally every trace is recorded, the worst case; on Google Cloud 0.1 of new traces are). The sides
 * alternate in ABBA blocks by switching the sampler: "off" records nothing (every span is a non-recording no-op,
 * as with no SDK; the SDK stays registered because the Firestore client binds its tracer once).
 * The same steps as (c) end-to-end latency, each order for its own customer.
 */
import { randomUUID } from 'node:crypto';
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadTelemetryConfig } from '../src/config.ts';
import { shippedSampler, startTelemetry } from '../src/telemetry/startTelemetry.ts';
import { startPipeline } from '../test/support/pipeline.ts';
import { placeOrderAndWait, setUpCustomers } from './endToEndLatency.ts';
import { startPhase } from './progress.ts';
import { type LatencySummary, summarizeLatencies } from './stats.ts';
import { ONE_CALLER_API } from './oneCaller.ts';
import { devRelayDiscovery } from './devRelay.ts';

export interface TracingOverheadPlan {
  /** Orders per side. */
  readonly orders: number;
  readonly warmup: number;
}

export const TRACING_OVERHEAD_PLANS: Record<'full' | 'quick', TracingOverheadPlan> = {
  full: { orders: 100, warmup: 10 },
  quick: { orders: 24, warmup: 4 },
};

export const TRACING_SIDES = ['tracing on', 'tracing off'] as const;
type Side = (typeof TRACING_SIDES)[number];

export interface TracingOverheadResult {
  readonly plan: TracingOverheadPlan;
  readonly sampleRatio: number;
  readonly placeOrder: Record<Side, LatencySummary>;
  readonly endToEnd: Record<Side, LatencySummary>;
  /** Spans recorded per traced order, on average. */
  readonly spansPerOrder: number;
}

/** The shipped sampler, or nothing recorded: switched between blocks. */
class SwitchedSampler implements Sampler {
  on = true;
  constructor(private readonly shipped: Sampler) {}
  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    return this.on ? this.shipped.shouldSample(context, traceId, name, kind, attributes, links) : { decision: SamplingDecision.NOT_RECORD };
  }
  toString(): string {
    return `Switched(${this.shipped.toString()})`;
  }
}

export async function measureTracingOverhead(plan: TracingOverheadPlan): Promise<TracingOverheadResult> {
  const config = {
    ...loadTelemetryConfig({ ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined }),
    exporter: { kind: 'memory' as const },
  };
  const sampler = new SwitchedSampler(shippedSampler(config));
  let spans = 0;
  const counter: SpanProcessor = {
    onStart: () => {},
    onEnd: () => void spans++,
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const telemetry = await startTelemetry(config, { serviceName: 'eventloom-bench', sampler, spanProcessors: [counter] });
  const pipeline = await startPipeline({ api: ONE_CALLER_API, relayDiscovery: devRelayDiscovery() });
  try {
    const total = 2 * (plan.warmup + plan.orders);
    const customerIds = Array.from({ length: total }, () => `bench-${randomUUID()}`);
    sampler.on = false;
    await setUpCustomers(pipeline, customerIds);
    const placeOrderMs: Record<Side, number[]> = { 'tracing on': [], 'tracing off': [] };
    const endToEndMs: Record<Side, number[]> = { 'tracing on': [], 'tracing off': [] };
    const spansBefore = spans;
    let tracedOrders = 0;
    const phase = startPhase(`(j) tracing overhead (${plan.warmup} warm-up per side)`, total);
    for (const [i, customerId] of customerIds.entries()) {
      // ABBA: on, off, off, on, …
      const side: Side = i % 4 === 0 || i % 4 === 3 ? 'tracing on' : 'tracing off';
      sampler.on = side === 'tracing on';
      const order = await placeOrderAndWait(pipeline, customerId);
      if (i >= 2 * plan.warmup) {
        placeOrderMs[side].push(order.placeOrderMs);
        endToEndMs[side].push(order.endToEndMs);
      }
      if (side === 'tracing on') tracedOrders++;
      phase.tick();
    }
    phase.end();
    return {
      plan,
      sampleRatio: config.sampleRatio,
      placeOrder: {
        'tracing on': summarizeLatencies(placeOrderMs['tracing on']),
        'tracing off': summarizeLatencies(placeOrderMs['tracing off']),
      },
      endToEnd: {
        'tracing on': summarizeLatencies(endToEndMs['tracing on']),
        'tracing off': summarizeLatencies(endToEndMs['tracing off']),
      },
      spansPerOrder: (spans - spansBefore) / Math.max(1, tracedOrders),
    };
  } finally {
    await pipeline.stop();
    await telemetry.shutdown();
  }
}
