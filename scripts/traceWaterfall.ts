/**
 * A trace as a terminal waterfall, one line per span in tree order: the hop it belongs to, its name
 * (indented under its parent), its duration and a bar placed on the trace's time line.
 */
import type { SpanRecord } from '../src/telemetry/recentTraces.ts';

const BAR_WIDTH = 40;
const NAME_WIDTH = 44;

/** Client libraries' spans shown by the service they call. */
const LIBRARY_HOPS: Record<string, string> = { '@google-cloud/firestore': 'firestore', '@google-cloud/pubsub': 'pubsub' };

export function renderWaterfall(traceId: string, spans: readonly SpanRecord[]): string {
  if (spans.length === 0) return `trace ${traceId}: no spans (dropped from the buffer, or not sampled)\n`;
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(end - start, 0.001);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, SpanRecord[]>();
  for (const span of spans) {
    // A span whose parent is not here (the caller's, or one dropped) is shown as a root.
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const correlation = spans.find((s) => typeof s.attributes['eventloom.correlation_id'] === 'string')?.attributes[
    'eventloom.correlation_id'
  ];
  const lines = [
    `trace ${traceId}${correlation ? `  correlation ${correlation}` : ''}  ${spans.length} spans  ${formatMs(total)}`,
    `${'hop'.padEnd(10)} ${'service'.padEnd(20)} ${'span'.padEnd(NAME_WIDTH)} ${'duration'.padStart(10)}  ${'0'.padEnd(BAR_WIDTH / 2)}${formatMs(total).padStart(BAR_WIDTH / 2)}`,
  ];
  const visit = (parent: string | null, depth: number) => {
    for (const span of [...(children.get(parent) ?? [])].sort((a, b) => a.startMs - b.startMs)) {
      const offset = Math.min(BAR_WIDTH - 1, Math.floor(((span.startMs - start) / total) * BAR_WIDTH));
      const length = Math.max(1, Math.min(BAR_WIDTH - offset, Math.round((span.durationMs / total) * BAR_WIDTH)));
      const name = `${'  '.repeat(depth)}${span.name}${span.error ? ' !' : ''}`;
      lines.push(
        [
          (LIBRARY_HOPS[span.hop] ?? span.hop).slice(0, 10).padEnd(10),
          span.service.slice(0, 20).padEnd(20),
          (name.length > NAME_WIDTH ? `${name.slice(0, NAME_WIDTH - 1)}…` : name).padEnd(NAME_WIDTH),
          formatMs(span.durationMs).padStart(10),
          ` |${' '.repeat(offset)}${'█'.repeat(length)}${' '.repeat(BAR_WIDTH - offset - length)}|`,
        ].join(' '),
      );
      visit(span.spanId, depth + 1);
    }
  };
  visit(null, 0);
  return `${lines.join('\n')}\n`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
