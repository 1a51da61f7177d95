/**
 * Subscription clients that show the wire: an SSE request whose reading the test pauses and resumes, and a
 * graphql-transport-ws socket driven message by message (pausable too, and with its pongs switchable off).
 * For testing keep-alives, slow clients and how streams end, which the real clients hide.
 */
import { request, type IncomingMessage } from 'node:http';
import { vi } from 'vitest';
import WebSocket from 'ws';
import { CSRF_HEADER } from '../../src/graphql/crossOrigin.ts';
import { parseSse, type SseEvent } from './liveApi.ts';

export interface RawSse {
  readonly response: Promise<IncomingMessage>;
  /** The events received so far, `next` and `complete` alike. */
  events(): SseEvent[];
  /** Keep-alive comment lines received so far. */
  comments(): number;
  /** Resolves when the server has ended the response. */
  readonly ended: Promise<void>;
  pause(): void;
  resume(): void;
  /** Waits until an event satisfies the predicate. */
  waitFor(predicate: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export function openSse(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): RawSse {
  const target = new URL(url);
  target.searchParams.set('query', query);
  target.searchParams.set('variables', JSON.stringify(variables));
  let text = '';
  let resolveEnded = () => {};
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let current: IncomingMessage | undefined;
  // A GET-based subscription is what a cross-site page could send unasked: the API wants the CSRF header.
  const req = request(target, { headers: { accept: 'text/event-stream', [CSRF_HEADER]: '1', ...headers } });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      current = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', resolveEnded);
      res.on('close', resolveEnded);
      resolve(res);
    });
    req.on('error', reject);
  });
  response.catch(() => {});
  req.end();
  const events = () => parseSse(text).events;
  return {
    response,
    events,
    comments: () => parseSse(text).comments,
    ended,
    pause: () => current?.pause(),
    resume: () => current?.resume(),
    waitFor: (predicate, timeoutMs = 20_000) =>
      vi.waitFor(
        () => {
          const match = events().find(predicate);
          if (!match) throw new Error(`no matching event among ${events().length}`);
          return match;
        },
        { timeout: timeoutMs, interval: 20 },
      ),
    close: () => req.destroy(),
  };
}

export interface WsMessage {
  readonly type: string;
  readonly id?: string;
  readonly payload?: unknown;
}

export interface RawWs {
  readonly socket: WebSocket;
  readonly messages: WsMessage[];
  readonly pings: () => number;
  /** Resolves with the close code, however the socket closed. */
  readonly closed: Promise<number>;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  waitFor(predicate: (message: WsMessage) => boolean, timeoutMs?: number): Promise<WsMessage>;
}

/** A graphql-transport-ws connection, acknowledged. `autoPong: false` makes it a client that vanished. */
export async function openWs(
  url: string,
  options: { autoPong?: boolean; connectionParams?: Record<string, unknown> } = {},
): Promise<RawWs> {
  const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong: options.autoPong ?? true });
  const messages: WsMessage[] = [];
  let pings = 0;
  socket.on('ping', () => pings++);
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as WsMessage));
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: options.connectionParams ?? {} }));
  const waitFor = (predicate: (message: WsMessage) => boolean, timeoutMs = 20_000) =>
    vi.waitFor(
      () => {
        const match = messages.find(predicate);
        if (!match) throw new Error(`no matching message among ${messages.length}`);
        return match;
      },
      { timeout: timeoutMs, interval: 20 },
    );
  await waitFor((m) => m.type === 'connection_ack', 5_000);
  return {
    socket,
    messages,
    pings: () => pings,
    closed,
    subscribe: (id, query, variables = {}) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    waitFor,
  };
}
