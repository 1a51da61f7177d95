/**
 * What the API refuses before it works for a caller, and the defaults every deployment starts from
 * (src/config.ts lets the environment override each one). Where each is enforced:
 *
 * - `query`: the shape and price of an operation, at parse and validation, before any resolver runs
 *   (`src/graphql/queryLimits.ts`, the same over HTTP, SSE and WebSocket);
 * - `maxRequestBodyBytes`, `allowedOrigins`: HTTP requests (`src/graphql/createApi.ts`), and the WebSocket handshake's Origin;
 * - `webSocket`: graphql-ws connections (`src/graphql/webSocket.ts`);
 * - `rateLimit`: calls of root query and mutation fields per caller (`src/graphql/rateLimits.ts`);
 * - `trustedProxyHops`: how a caller's address is read, for the per-caller limits (`src/graphql/callers.ts`).
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
  /** Open connections per caller (`rateLimitKey`); the next one is closed (1013, try again later). */
  readonly maxConnectionsPerCaller: number;
}

export interface RateLimit {
  /** Calls of one root query or mutation field a caller may make within `windowMs` (a sliding window). */
  readonly max: number;
  readonly windowMs: number;
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
  readonly rateLimit: RateLimit;
  /**
   * Proxies in front of the API that append the address they saw to X-Forwarded-For: the caller's address is
   * the entry this many places from the end (0: the socket's peer). Entries further left are the caller's to
   * write, so a count larger than the real one lets callers choose their own address.
   */
  readonly trustedProxyHops: number;
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
    // Browser tabs, each with the one connection graphql-ws keeps; callers behind one NAT share it until
    // they sign in.
    maxConnectionsPerCaller: 20,
  },
  // Ten calls a second per root field, sustained: `npm run seed` (300 orders at concurrency 4) stays below.
  rateLimit: { max: 600, windowMs: 60_000 },
  trustedProxyHops: 0,
};
