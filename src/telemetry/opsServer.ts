/**
 * The operator port: what an operator or a scraper reads, kept off the public port.
 *
 * - `GET /metrics`: every metric as Prometheus text.
 * - `GET /traces?correlationId=…` (or `?traceId=…`; neither: the latest traces): the in-memory traces
 *   (`npm run traces`), when this process keeps them.
 * - `POST /v1/traces`: an OTLP/HTTP JSON receiver into the same buffer, so the local projector functions'
 *   spans (OTEL_EXPORTER_OTLP_ENDPOINT pointed here by `npm run dev`) join the API's.
 * - `GET /healthz`, `/readyz`: as on the public port.
 *
 * Why a separate port rather than operator auth on the public one: Cloud Run routes only the container's
 * PORT from outside, so this port is unreachable from the internet whatever a request carries; it listens on
 * loopback by default, where a sidecar in the same instance (a Prometheus or OpenTelemetry collector) can
 * still scrape it. Metrics and traces carry ids and timings an attacker should not see, and a token check on
 * every scrape would be one more credential to rotate for the collector.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleHealth, type Readiness } from './health.ts';
import { spansFromOtlpJson } from './recentTraces.ts';
import type { Telemetry } from './startTelemetry.ts';

/** An OTLP batch from a local process is small; anything larger is refused rather than buffered. */
const MAX_OTLP_BODY_BYTES = 8 * 1024 * 1024;

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(
  telemetry: Telemetry,
  readiness: Readiness,
  listen: { readonly port: number; readonly host: string },
): Promise<OpsServer> {
  const server: Server = createServer((request, response) => {
    if (handleHealth(readiness, request, response)) return;
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/metrics' && request.method === 'GET') {
      telemetry.prometheus.getMetricsRequestHandler(request, response);
    } else if (url.pathname === '/traces' && request.method === 'GET') {
      serveTraces(telemetry, url, response);
    } else if (url.pathname === '/v1/traces' && request.method === 'POST') {
      receiveOtlp(telemetry, request, response);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

function serveTraces(telemetry: Telemetry, url: URL, response: ServerResponse): void {
  const traces = telemetry.recentTraces;
  if (!traces) {
    json(response, 404, { error: 'this process exports its spans (Cloud Trace or OTLP) and keeps none in memory' });
    return;
  }
  const correlationId = url.searchParams.get('correlationId');
  const traceId = url.searchParams.get('traceId');
  if (!correlationId && !traceId) {
    json(response, 200, { latest: traces.latest(20) });
    return;
  }
  const ids = traceId ? [traceId] : traces.traceIdsOf(correlationId!);
  json(response, 200, { traces: ids.map((id) => ({ traceId: id, spans: traces.trace(id) })) });
}

function receiveOtlp(telemetry: Telemetry, request: IncomingMessage, response: ServerResponse): void {
  if (!telemetry.recentTraces) {
    json(response, 404, { error: 'no in-memory trace buffer in this process' });
    return;
  }
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
    json(response, 415, { error: 'OTLP/HTTP JSON only (application/json)' });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_OTLP_BODY_BYTES) {
      json(response, 413, { error: 'too large' });
      request.destroy();
      return;
    }
    chunks.push(chunk);
  });
  request.on('end', () => {
    if (response.headersSent) return;
    try {
      telemetry.recentTraces!.add(spansFromOtlpJson(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      json(response, 200, {});
    } catch (error) {
      json(response, 400, { error: `not an OTLP JSON export request: ${String(error)}` });
    }
  });
}
