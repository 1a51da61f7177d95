/**
 * The terminal waterfall of `npm run traces`, and the in-memory trace buffer it reads (RecentTraces): spans in
 * tree order under their parents, bars on the trace's time line, traces found by correlation id, the oldest
 * dropped beyond the buffer's bound, and spans received as OTLP JSON from another process.
 */
import { describe, expect, it } from 'vitest';
import { renderWaterfall } from '../scripts/traceWaterfall.ts';
import { RecentTraces, type SpanRecord, spansFromOtlpJson } from '../src/telemetry/recentTraces.ts';

const TRACE = 'a'.repeat(32);

function span(spanId: string, parentSpanId: string | null, name: string, startMs: number, durationMs: number, hop = 'command'): SpanRecord {
  return {
    traceId: TRACE,
    spanId,
    parentSpanId,
    name,
    service: 'eventloom-api',
    hop,
    startMs,
    durationMs,
    error: false,
    attributes: { 'eventloom.correlation_id': 'order-1' },
  };
}

describe('renderWaterfall', () => {
  it('prints one line per span in tree order, indented under its parent, with its bar on the trace time line', () => {
    const text = renderWaterfall(TRACE, [
      span('3', '2', 'append', 1050, 50, 'store'),
      span('1', null, 'HTTP POST /graphql', 1000, 100, 'http'),
      span('4', '3', 'Transaction.Commit', 1060, 30, '@google-cloud/firestore'),
      span('2', '1', 'command PlaceOrder', 1010, 90),
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toContain('correlation order-1');
    expect(lines.slice(2).map((line) => line.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['http', 'eventloom-api', 'HTTP POST /graphql'],
      ['command', 'eventloom-api', 'command PlaceOrder'],
      ['store', 'eventloom-api', 'append'],
      ['firestore', 'eventloom-api', 'Transaction.Commit'],
    ]);
    const bar = (line: string) => line.slice(line.indexOf('|') + 1, line.lastIndexOf('|'));
    // The root spans the whole line; the append starts half way and lasts half of it.
    expect(bar(lines[2]!)).toBe('█'.repeat(40));
    expect(bar(lines[4]!)).toBe(`${' '.repeat(20)}${'█'.repeat(20)}`);
  });
});

describe('RecentTraces', () => {
  it('finds traces by correlation id and drops the oldest beyond its bound', () => {
    const traces = new RecentTraces({ maxTraces: 2 });
    const inTrace = (traceId: string, correlationId: string): SpanRecord => ({
      ...span('1', null, 'root', 0, 1),
      traceId,
      attributes: { 'eventloom.correlation_id': correlationId },
    });
    traces.add([inTrace('t1', 'c1'), inTrace('t2', 'c2'), inTrace('t3', 'c2')]);
    expect(traces.traceIdsOf('c1')).toEqual([]);
    expect(traces.traceIdsOf('c2')).toEqual(['t2', 't3']);
  });

  it('reads spans sent as OTLP JSON', () => {
    const records = spansFromOtlpJson({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'eventloom-functions' } }] },
          scopeSpans: [
            {
              scope: { name: 'eventloom' },
              spans: [
                {
                  traceId: TRACE,
                  spanId: 'b'.repeat(16),
                  parentSpanId: 'c'.repeat(16),
                  name: 'project customerOrderHistory',
                  startTimeUnixNano: '1764590000000000000',
                  endTimeUnixNano: '1764590000012500000',
                  attributes: [
                    { key: 'eventloom.hop', value: { stringValue: 'projector' } },
                    { key: 'eventloom.version', value: { intValue: '3' } },
                  ],
                  status: { code: 0 },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(records).toEqual([
      {
        traceId: TRACE,
        spanId: 'b'.repeat(16),
        parentSpanId: 'c'.repeat(16),
        name: 'project customerOrderHistory',
        service: 'eventloom-functions',
        hop: 'projector',
        startMs: 1764590000000,
        durationMs: 12.5,
        error: false,
        attributes: { 'eventloom.hop': 'projector', 'eventloom.version': 3 },
      },
    ]);
  });
});
