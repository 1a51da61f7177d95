/**
 * The clients of the subscription benchmark, in a process of their own so that the API's memory and event
 * loop are its alone: many subscribers to `productInventory`, alternately over SSE (one HTTP connection each,
 * as browsers with EventSource) and over WebSocket (one graphql-transport-ws socket each, as browsers with
 * graphql-ws). Every result's arrival is timed and filed under its `available` value, which the benchmark
 * writes as a marker, so the parent can ask for each write's delivery times.
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import { CSRF_HEADER } from '../src/graphql/crossOrigin.ts';
import { epochMs, serveParent, type ChildMessage } from './benchChild.ts';

const QUERY = /* GraphQL */ `subscription ($id: ID!) { productInventory(productId: $id) { id available } }`;
type Transport = 'sse' | 'ws';

interface Subscriber {
  readonly transport: Transport;
  close(): void;
}

const subscribers: Subscriber[] = [];
/** Arrival times per marker and transport. */
const arrivals = new Map<number, { sse: number[]; ws: number[] }>();
const waiters = new Set<() => void>();

function record(transport: Transport, available: number, at: number): void {
  let entry = arrivals.get(available);
  if (!entry) {
    entry = { sse: [], ws: [] };
    arrivals.set(available, entry);
  }
  entry[transport].push(at);
  for (const wake of waiters) wake();
}

function openSse(httpUrl: string, id: string, initial: () => void, failed: (error: Error) => void): Subscriber {
  const url = new URL(httpUrl);
  url.searchParams.set('query', QUERY);
  url.searchParams.set('variables', JSON.stringify({ id }));
  // A connection of its own, as an EventSource has.
  // GET-based SSE: the API wants the CSRF header on anything but a JSON POST.
  const req = request(url, { agent: false, headers: { accept: 'text/event-stream', [CSRF_HEADER]: '1' } }, (res) => {
    res.setEncoding('utf8');
    let buffer = '';
    let first = true;
    res.on('data', (chunk: string) => {
      const at = epochMs();
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (!block.startsWith('event: next') || !data) continue;
        const available = (JSON.parse(data.slice(6)) as { data?: { productInventory?: { available: number } } }).data?.productInventory
          ?.available;
        if (available === undefined) continue;
        if (first) {
          first = false;
          initial();
        } else record('sse', available, at);
      }
    });
  });
  req.on('error', failed);
  req.end();
  return { transport: 'sse', close: () => req.destroy() };
}

function openWs(wsUrl: string, id: string, initial: () => void, failed: (error: Error) => void): Subscriber {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
  let first = true;
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
  socket.on('message', (raw) => {
    const at = epochMs();
    const message = JSON.parse(String(raw)) as { type: string; payload?: { data?: { productInventory?: { available: number } } } };
    if (message.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: { id } } }));
    } else if (message.type === 'next') {
      const available = message.payload?.data?.productInventory?.available;
      if (available === undefined) return;
      if (first) {
        first = false;
        initial();
      } else record('ws', available, at);
    }
  });
  socket.on('error', failed);
  return { transport: 'ws', close: () => socket.terminate() };
}

async function open(message: ChildMessage): Promise<Record<string, unknown>> {
  const { httpUrl, wsUrl, count, docs, concurrency } = message as unknown as {
    httpUrl: string;
    wsUrl: string;
    count: number;
    docs: string[];
    concurrency: number;
  };
  const startedAt = performance.now();
  let next = 0;
  let opened = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const transport: Transport = i % 2 === 0 ? 'sse' : 'ws';
        const id = docs[i % docs.length]!;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`subscriber ${i} got no initial result within 30 s`)), 30_000);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          const failed = (error: Error) => {
            clearTimeout(timer);
            reject(error);
          };
          subscribers.push(transport === 'sse' ? openSse(httpUrl, id, done, failed) : openWs(wsUrl, id, done, failed));
        });
        if (++opened % 100 === 0) process.send?.({ type: 'progress', opened });
      }
    }),
  );
  return { opened, ms: performance.now() - startedAt };
}

/** Waits until `expected` subscribers have the marker, or the timeout, and hands over (and forgets) their times. */
async function collect(message: ChildMessage): Promise<Record<string, unknown>> {
  const { marker, expected, timeoutMs } = message as unknown as { marker: number; expected: number; timeoutMs: number };
  const count = () => (arrivals.get(marker)?.sse.length ?? 0) + (arrivals.get(marker)?.ws.length ?? 0);
  if (count() < expected) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, timeoutMs);
      function finish() {
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      }
      function check() {
        if (count() >= expected) finish();
      }
      waiters.add(check);
    });
  }
  const times = arrivals.get(marker) ?? { sse: [], ws: [] };
  arrivals.delete(marker);
  return { sse: times.sse, ws: times.ws };
}

serveParent(async (message) => {
  switch (message.type) {
    case 'open':
      return open(message);
    case 'collect':
      return collect(message);
    case 'disconnect':
      for (const subscriber of subscribers.splice(0)) subscriber.close();
      return {};
    case 'stop':
      return process.exit(0);
    default:
      throw new Error(`unknown request ${message.type}`);
  }
});
