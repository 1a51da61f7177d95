/**
 * The dashboard's link to the API, as the signed-in user: one graphql-ws connection for every subscription
 * (same origin), and plain POSTs for queries, each carrying a fresh Firebase ID token.
 *
 * Over WebSocket the token is the `authorization` connection parameter, read again on every (re)connect: the
 * API checks it once, when the socket opens, and closes the socket (4403) when the token expires or is
 * refused; graphql-ws then reconnects and the next connect forces a token refresh. A subscription that ends
 * (the server shut down and said `complete`, or it was dropped with an error) is opened again after a pause,
 * so the page outlives API restarts and deploys; one the API refuses (AUTH.FORBIDDEN or AUTH.UNAUTHENTICATED)
 * is not: the session is told, and decides what the page shows instead.
 */
import { createClient, type Client } from 'graphql-ws/client';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** The API's refusals (src/graphql/authScopes.ts, src/graphql/authenticate.ts). */
export type Refusal = 'AUTH.UNAUTHENTICATED' | 'AUTH.FORBIDDEN';

export interface GraphQLResult<T> {
  readonly data?: T | null;
  readonly errors?: ReadonlyArray<{ readonly message: string; readonly extensions?: { readonly code?: string } }>;
}

/** The signed-in user's ID token; `forceRefresh` after the API refused the last one. */
export type IdToken = (forceRefresh: boolean) => Promise<string>;

/** A query the API refused: the caller is not signed in (as far as the API can tell) or may not ask this. */
export class RefusedError extends Error {
  constructor(readonly code: Refusal) {
    super(code === 'AUTH.FORBIDDEN' ? 'Not allowed for this account.' : 'The API did not accept this sign-in.');
    this.name = 'RefusedError';
  }
}

const RESUBSCRIBE_MS = 1_000;
/** The close code the API uses for a refused or expired token (src/graphql/webSocket.ts). */
const CLOSE_UNAUTHENTICATED = 4403;
/** Refused this many times in a row, even with a freshly refreshed token: the API will not take this sign-in. */
const MAX_REFUSED_CONNECTS = 3;

/** Sends one GraphQL query over HTTP with the user's token; refused as unauthenticated, it is retried once with a refreshed token. */
export async function queryGraphQL<T>(
  idToken: IdToken,
  query: string,
  variables: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<T> {
  for (const forceRefresh of [false, true]) {
    const response = await fetch(`${window.location.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await idToken(forceRefresh)}` },
      body: JSON.stringify({ query, variables }),
      ...(signal ? { signal } : {}),
    });
    const result = (await response.json()) as GraphQLResult<T>;
    const refusal = refusalIn(result) ?? (response.status === 401 ? 'AUTH.UNAUTHENTICATED' : null);
    if (refusal === 'AUTH.UNAUTHENTICATED' && !forceRefresh) continue;
    if (result.data) return result.data;
    if (refusal) throw new RefusedError(refusal);
    throw new Error(result.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
  }
  throw new RefusedError('AUTH.UNAUTHENTICATED');
}

export interface ConnectionOptions {
  readonly idToken: IdToken;
  readonly onState: (state: ConnectionState) => void;
  /** The API refused a subscription, or kept refusing the token: nothing more is shown through this connection. */
  readonly onRefused: (code: Refusal) => void;
}

export class GraphQLConnection {
  private readonly client: Client;
  private readonly stopped = new AbortController();
  private readonly options: ConnectionOptions;

  constructor(options: ConnectionOptions) {
    this.options = options;
    const { idToken, onState } = options;
    const origin = window.location;
    let everConnected = false;
    let refusedInARow = 0;
    this.client = createClient({
      url: `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}/graphql`,
      // A function, so that each (re)connect sends the token as it is then, not the one the page started with.
      connectionParams: async () => ({ authorization: `Bearer ${await idToken(refusedInARow > 0)}` }),
      lazy: false,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => !this.signal.aborted,
      on: {
        connecting: () => this.live() && onState(everConnected ? 'reconnecting' : 'connecting'),
        connected: () => {
          everConnected = true;
          refusedInARow = 0;
          if (this.live()) onState('live');
        },
        closed: (event) => {
          if (!this.live()) return;
          if ((event as CloseEvent | undefined)?.code === CLOSE_UNAUTHENTICATED && ++refusedInARow >= MAX_REFUSED_CONNECTS) {
            this.refused('AUTH.UNAUTHENTICATED');
            return;
          }
          onState('reconnecting');
        },
      },
    });
  }

  /** Aborted when the connection closes (sign-out, refusal): panels stop their timers on it. */
  get signal(): AbortSignal {
    return this.stopped.signal;
  }

  /** Calls `onData` with every result of the subscription, for as long as the connection lives. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void): void {
    let unsubscribe = () => {};
    let timer: number | undefined;
    const start = () => {
      if (!this.live()) return;
      let refused = false;
      const again = () => {
        if (!refused && this.live()) timer = window.setTimeout(start, RESUBSCRIBE_MS);
      };
      unsubscribe = this.client.subscribe<T>(
        { query, variables },
        {
          next: (result: GraphQLResult<T>) => {
            if (!this.live()) return;
            const refusal = refusalIn(result);
            if (refusal) {
              refused = true;
              this.refused(refusal);
              return;
            }
            if (result.errors?.length) console.warn('subscription error', result.errors);
            if (result.data) onData(result.data);
          },
          error: (error) => {
            if (this.live()) console.warn('subscription failed', error);
            again();
          },
          complete: again,
        },
      );
    };
    this.signal.addEventListener('abort', () => {
      window.clearTimeout(timer);
      unsubscribe();
    });
    start();
  }

  query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return queryGraphQL<T>(this.options.idToken, query, variables, this.signal);
  }

  /** Ends every subscription and the socket; nothing this connection receives afterwards reaches the page. */
  close(): void {
    if (!this.live()) return;
    this.stopped.abort();
    void this.client.dispose();
  }

  private live(): boolean {
    return !this.signal.aborted;
  }

  private refused(code: Refusal): void {
    this.close();
    this.options.onRefused(code);
  }
}

function refusalIn(result: GraphQLResult<unknown>): Refusal | null {
  for (const error of result.errors ?? []) {
    const code = error.extensions?.code;
    if (code === 'AUTH.FORBIDDEN' || code === 'AUTH.UNAUTHENTICATED') return code;
  }
  return null;
}
