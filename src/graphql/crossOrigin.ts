/**
 * Which web pages may call the API. Browsers enforce CORS for HTTP; a WebSocket handshake carries no CORS,
 * so `webSocket.ts` checks its Origin against the same list. Requests a browser sends without asking first
 * (a form post, a GET) carry no CORS protection at all: CSRF prevention (yoga's plugin, in createApi.ts)
 * refuses GraphQL requests that are neither JSON nor carry CSRF_HEADER.
 */

/**
 * A GraphQL request that is not a JSON POST (a GET query, a GET-based SSE subscription) must carry this
 * header (any value): a page on another origin cannot add it without a CORS preflight, which it would fail.
 */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

/** Headers cross-origin pages may send. */
const ALLOWED_HEADERS = ['content-type', 'accept', 'authorization', CSRF_HEADER, 'x-correlation-id', 'traceparent'];

/** yoga's `cors` option for these origins. */
export function corsOptions(allowedOrigins: readonly string[]) {
  return {
    origin: [...allowedOrigins],
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    // Callers authenticate with a header, not cookies.
    credentials: false,
    // Preflights are remembered for 10 minutes.
    maxAge: 600,
  };
}

/**
 * Whether a WebSocket handshake may proceed: from an allowed origin; from the API's own origin (the dashboard
 * it serves), which a browser names with the same host it connects to; or without an Origin at all, which no
 * browser omits, so from a client other than a web page, which CORS would not stop either.
 */
export function isAllowedOrigin(origin: string | undefined, host: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
