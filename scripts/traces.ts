// `npm run traces -- [<correlationId> | --trace <traceId>] [--ops http://127.0.0.1:9464]`
//
// Prints the traces of a running development system (`npm run dev`) as waterfalls: the API keeps its last
// traces in memory, with the projector functions' spans it receives over OTLP, and serves them on its
// operator port (src/telemetry/opsServer.ts). Without an id, lists the latest traces and their correlation ids.

import { parseArgs } from 'node:util';
import type { SpanRecord } from '../src/telemetry/recentTraces.ts';
import { renderWaterfall } from './traceWaterfall.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ops: { type: 'string', default: `http://127.0.0.1:${process.env.OPS_PORT ?? 9464}` },
    trace: { type: 'string' },
  },
});

const [correlationId] = positionals;
const query = values.trace
  ? `traceId=${encodeURIComponent(values.trace)}`
  : correlationId
    ? `correlationId=${encodeURIComponent(correlationId)}`
    : '';
const url = `${values.ops.replace(/\/$/, '')}/traces${query ? `?${query}` : ''}`;

let response: Response;
try {
  response = await fetch(url);
} catch (error) {
  console.error(
    `Cannot reach the API's operator port at ${values.ops} (${String(error)}). Is \`npm run dev\` running? --ops names another.`,
  );
  process.exit(1);
}
const body = (await response.json()) as {
  error?: string;
  latest?: Array<{ traceId: string; root: string; startMs: number; correlationId: string | null }>;
  traces?: Array<{ traceId: string; spans: SpanRecord[] }>;
};
if (!response.ok) {
  console.error(`${url}: ${response.status} ${body.error ?? ''}`);
  process.exit(1);
}
if (body.latest) {
  if (body.latest.length === 0) console.log('No traces yet.');
  for (const trace of body.latest) {
    console.log(`${new Date(trace.startMs).toISOString()}  ${trace.traceId}  ${trace.correlationId ?? '-'}  ${trace.root}`);
  }
  console.log('\nnpm run traces -- <correlationId>   (or --trace <traceId>) prints one.');
} else {
  const traces = body.traces ?? [];
  if (traces.length === 0) {
    console.error(`No trace has correlation id ${correlationId ?? values.trace}: not sampled, not yet ended, or dropped from the buffer.`);
    process.exit(1);
  }
  for (const trace of traces) console.log(renderWaterfall(trace.traceId, trace.spans));
}
