/**
 * The dashboard's link to the API: one graphql-ws connection for every subscription (same origin), and
 * plain POSTs for queries. A subscription that ends (the server shut down and said `complete`, or it was
 * dropped with an error) is opened again after a pause, so the page outlives API restarts and deploys.
 */
import { createClient, type Client } from 'graphql-ws/client';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

export interface GraphQLResult<T> {
  readonly data?: T | null;
  readonly errors?: ReadonlyArray<{ readonly message: string; readonly extensions?: { readonly code?: string } }>;
}

const RESUBSCRIBE_MS = 1_000;

export class GraphQLConnection {
  private readonly client: Client;
  private readonly httpUrl: string;

  constructor(onState: (state: ConnectionState) => void) {
    const origin = window.location;
    this.httpUrl = `${origin.origin}/graphql`;
    let everConnected = false;
    this.client = createClient({
      url: `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/graphql`,
      // Browsers cannot set headers on a WebSocket: the caller is named here for the subscription rules.
      connectionParams: { actor: 'dashboard' },
      lazy: false,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      on: {
        connecting: () => onState(everConnected ? 'reconnecting' : 'connecting'),
        connected: () => {
          everConnected = true;
          onState('live');
        },
        closed: () => onState('reconnecting'),
      },
    });
  }

  /** Calls `onData` with every result of the subscription, for as long as the page lives. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void): () => void {
    let stopped = false;
    let unsubscribe = () => {};
    const start = () => {
      if (stopped) return;
      const again = () => window.setTimeout(start, RESUBSCRIBE_MS);
      unsubscribe = this.client.subscribe<T>(
        { query, variables },
        {
          next: (result: GraphQLResult<T>) => {
            if (result.errors?.length) console.warn('subscription error', result.errors);
            if (result.data) onData(result.data);
          },
          error: (error) => {
            console.warn('subscription failed', error);
            again();
          },
          complete: again,
        },
      );
    };
    start();
    return () => {
      stopped = true;
      unsubscribe();
    };
  }

  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(this.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'dashboard' },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as GraphQLResult<T>;
    if (!result.data) throw new Error(result.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
    return result.data;
  }
}
