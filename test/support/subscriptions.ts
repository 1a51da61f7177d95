/**
 * Real GraphQL subscription clients: graphql-sse (distinct connections mode, which yoga serves on its
 * endpoint) and graphql-ws over a WebSocket. Each collects results and lets a test wait for one.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { vi } from 'vitest';
import WebSocket from 'ws';

export interface Subscription<T> {
  readonly results: T[];
  /** Resolves with the first result (already received or yet to come) that satisfies the predicate. */
  next(predicate: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): void;
}

function collect<T>(
  start: (sink: { next(value: T): void; error(error: unknown): void; complete(): void }) => () => void,
  dispose: () => void,
): Subscription<T> {
  const results: T[] = [];
  let failure: unknown = null;
  const unsubscribe = start({
    next: (value) => results.push(value),
    error: (error) => {
      failure = error;
    },
    complete: () => {},
  });
  return {
    results,
    next: (predicate, timeoutMs = 20_000) =>
      vi.waitFor(
        () => {
          if (failure) throw new Error(`subscription failed: ${JSON.stringify(failure)}`);
          const match = results.find(predicate);
          if (!match) throw new Error(`no matching result among ${results.length}`);
          return match;
        },
        { timeout: timeoutMs, interval: 20 },
      ),
    close: () => {
      unsubscribe();
      dispose();
    },
  };
}

type Data<T> = { data?: T | null; errors?: unknown };

/** `headers`: the caller's, e.g. `await asCustomer(id)` (an `authorization` header). */
export function subscribeOverSse<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Subscription<Data<T>> {
  const client = createSseClient({ url, retryAttempts: 0, headers });
  return collect<Data<T>>(
    (sink) => client.subscribe<T>({ query, variables }, sink as never),
    () => client.dispose(),
  );
}

/** `headers`: the caller's; their `authorization` becomes the connection parameter of the same name. */
export function subscribeOverWebSocket<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Subscription<Data<T>> {
  const connectionParams = headers.authorization ? { authorization: headers.authorization } : {};
  const client = createWsClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
  return collect<Data<T>>(
    (sink) => client.subscribe<T>({ query, variables }, sink as never),
    () => void client.dispose(),
  );
}
