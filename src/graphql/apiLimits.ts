/**
 * What the API refuses before it works for a caller, and the defaults every deployment starts from
 * (config.ts lets the environment override each one). Where each is enforced:
 *
 * - `query`: the shape and price of an operation, at parse and validation, before any resolver runs
 *   (`queryLimits.ts`, the same over HTTP, SSE and WebSocket);
 * - `maxRequestBodyBytes`, `allowedOrigins`: HTTP requests (`createApi.ts`), and the WebSocket handshake's Origin;
 * - `webSocket`: graphql-ws connections (`webSocket.ts`).
 */

export interface QueryLimits {
  /** Nesting of selections (introspection's own excepted). */
  readonly maxDepth: number;
  /** Aliased fields in one operation, fragments included. */
  readonly maxAliases: number;
  /** Lexical tokens in the document: counted while parsing, which stops at the limit. */
  readonly maxTokens: number;
  /** Directives in one operation, fragments included. */
  readonly maxDirectives: number;
  /** The price of a query or subscription as `queryCost.ts` reckons it, its variables applied. */
  readonly maxCost: number;
}

export interface WebSocketLimits {
  /** The largest message a client may send; a larger one closes the socket (1009, message too big). */
  readonly maxPayloadBytes: number;
  /** Operations (subscriptions, mostly) running at once on one connection; more are refused with an error. */
  readonly maxOperationsPerConnection: number;
}

export interface ApiLimits {
  readonly query: QueryLimits;
  /** Larger HTTP bodies are refused with 413, as soon as the declared length or the bytes read pass it. */
  readonly maxRequestBodyBytes: number;
  /**
   * Origins browsers may call the API from (CORS, and WebSocket handshakes). The dashboard, served by the API
   * itself, needs none: same-origin requests need no CORS, and a handshake from the API's own origin passes.
   */
  readonly allowedOrigins: readonly string[];
  readonly webSocket: WebSocketLimits;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  query: {
    // The dashboard's deepest query is 4 levels; an order's lines' products' bought-together products' names are 6.
    maxDepth: 10,
    maxAliases: 15,
    // GraphiQL's introspection query is about 200 tokens, the dashboard's largest query about 40.
    maxTokens: 1_000,
    maxDirectives: 50,
    // A year of the sales dashboard (days: 366, every field the dashboard shows) costs about 12,500; a
    // hundred products with twenty bought-together products each about 21,000, and is refused.
    maxCost: 20_000,
  },
  // Yoga's default is 25 MB; the longest operation a client sends is a few KB.
  maxRequestBodyBytes: 100 * 1024,
  // `npm run dev`'s API and dashboard.
  allowedOrigins: ['http://localhost:4000'],
  webSocket: {
    // As large as an HTTP body may be: an operation accepted over one transport fits the other.
    maxPayloadBytes: 100 * 1024,
    // The dashboard holds one subscription per product on its connection (30 in the demo shop), plus four.
    maxOperationsPerConnection: 200,
  },
};
