/**
 * The GraphQL API as a value: a yoga instance built from its dependencies. It serves HTTP and SSE
 * itself (GraphQL over SSE, distinct connections mode); `attachWebSocket` adds graphql-ws. It also
 * serves the live dashboard at /dashboard.
 *
 * Every request is authenticated (`authenticate.ts`: a Firebase ID token as bearer token, or nobody), and
 * every field authorizes its caller (the rules next to each field, `authScopes.ts`).
 *
 * Subscriptions, over either transport: authorized before they start (the root field's rule), fed
 * through bounded per-subscriber queues (see FirestoreReadModels), ended by a typed error when they
 * fail. SSE streams carry a keep-alive comment every 12 s (yoga's own); WebSocket keep-alives are in
 * `webSocket.ts`.
 *
 * Abuse limits (apiLimits.ts) on every request: operations too deep, wide, long or costly are refused
 * before any resolver runs (queryLimits.ts); bodies are bounded; browsers may call from the allowed
 * origins only, and cannot forge requests across sites (crossOrigin.ts); each caller may call each root
 * field so often (rateLimits.ts). Unexpected errors are masked, whatever NODE_ENV says: their details go to
 * the log only.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Principal } from '../auth/principal.ts';
import { DEFAULT_API_LIMITS, type ApiLimits } from '../apiLimits.ts';
import { principalOfRequest } from './authenticate.ts';
import { clientAddress, type RequestOrigin } from './callers.ts';
import type { ApiDeps, GraphQLContext } from './context.ts';
import { corsOptions, CSRF_HEADER } from './crossOrigin.ts';
import { isDeferred, useDeferredDeps, type DeferredApiDeps } from './deferredDeps.ts';
import { documentCaches, useLeanValidationErrors } from './documentCaches.ts';
import { useNoIntrospection } from './introspection.ts';
import { useQueryLimits } from './queryLimits.ts';
import { useRateLimits } from './rateLimits.ts';
import { useRequestTracing } from './requestTracing.ts';
import { schema } from './schema/index.ts';
import { useDashboard, type DashboardAuthConfig } from './serveDashboard.ts';
import { useSubscriptionErrors } from './subscriptionErrors.ts';
import { ViewLoaders } from './viewLoaders.ts';

export interface ApiOptions {
  /** GraphiQL at /graphql and yoga's landing page elsewhere; off unless asked for (config.ts: outside production). */
  readonly graphiql?: boolean;
  /** The built dashboard (`npm run build:dashboard`). Default `dashboard/dist` under the working directory. */
  readonly dashboardDir?: string;
  /** How the dashboard signs staff in (served as /dashboard/config.json); without it the page says sign-in is not configured. */
  readonly dashboardAuth?: DashboardAuthConfig | null;
  /**
   * Whether the schema may be explored: introspection, and "Did you mean …?" in validation errors. Off unless
   * asked for (config.ts asks outside production).
   */
  readonly introspection?: boolean;
  /** What the API refuses; default DEFAULT_API_LIMITS. */
  readonly limits?: ApiLimits;
}

export type Api = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

/**
 * `deps` may arrive after the server starts (DeferredApiDeps, as startApi.ts does for a fast start): operations
 * then wait for them at execution.
 */
export function createApi(deps: ApiDeps | DeferredApiDeps, options: ApiOptions = {}): Api {
  const limits = options.limits ?? DEFAULT_API_LIMITS;
  const deferred = isDeferred(deps);
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: options.graphiql ? { title: 'Eventloom', subscriptionsProtocol: 'SSE' } : false,
    // GraphiQL with its assets inline: yoga's default page loads them from a CDN, and shows "Loading…" forever
    // without internet. The 9 MB bundle is loaded the first time the page is asked for, never in production.
    renderGraphiQL: async (graphiqlOptions) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
    landingPage: Boolean(options.graphiql),
    // Masked explicitly: yoga would add the original error and its stack when NODE_ENV is "development".
    maskedErrors: { isDev: false },
    cors: corsOptions(limits.allowedOrigins),
    // Checked against the declared length first, then against the bytes as they are read.
    maxRequestBodySize: limits.maxRequestBodyBytes,
    logging: {
      debug: (...args) => deps.logger.debug({ args }, 'yoga'),
      info: (...args) => deps.logger.info({ args }, 'yoga'),
      warn: (...args) => deps.logger.warn({ args }, 'yoga'),
      error: (...args) => deps.logger.error({ args }, 'yoga'),
    },
    // Bounded (documentCaches.ts). Validation results are cached per document as yoga does; the price, which
    // depends on the variables, is checked on every request all the same (queryLimits.ts).
    parserAndValidationCache: documentCaches(),
    plugins: [
      // First, so that its spans enclose every other plugin's work.
      useRequestTracing(),
      useLeanValidationErrors(),
      useCSRFPrevention({ requestHeaders: [CSRF_HEADER] }),
      ...(options.introspection ? [] : [useNoIntrospection()]),
      ...useQueryLimits(limits.query, { hideFieldSuggestions: !options.introspection }),
      useRateLimits(limits.rateLimit),
      useSubscriptionErrors(deps.logger),
      useDashboard(options.dashboardDir ?? resolve('dashboard/dist'), options.dashboardAuth ?? null),
      ...(deferred ? [useDeferredDeps(deps.load)] : []),
    ],
    context: async (initial) => {
      const context = {
        correlationId: correlationIdFrom(initial.request?.headers) ?? randomUUID(),
        // A WebSocket's principal was verified once, when it connected (webSocket.ts); an HTTP request's
        // token is verified here, every time.
        principal: isConnection(initial) ? initial.connectionPrincipal : await principalOfRequest(deps.tokens, initial.request),
        // Over HTTP, yoga's Request and node's IncomingMessage; over WebSocket, the handshake's IncomingMessage.
        clientAddress: clientAddress(initial as RequestOrigin, limits.trustedProxyHops),
      };
      // Deferred: useDeferredDeps adds deps and loaders at execution, before any resolver runs.
      return deferred ? (context as GraphQLContext) : { ...context, deps, loaders: new ViewLoaders(deps.readModels) };
    },
  });
}

/** What webSocket.ts adds to the initial context of every operation on an authenticated connection. */
export interface ConnectionContext {
  readonly connectionPrincipal: Principal | null;
}

function isConnection(initial: object): initial is ConnectionContext {
  return 'connectionPrincipal' in initial;
}

/** Reuses the caller's id so one request can be followed across API, events and projectors. */
function correlationIdFrom(headers: Headers | undefined): string | null {
  const explicit = headers?.get('x-correlation-id');
  if (explicit) return explicit.slice(0, 128);
  // W3C traceparent: version-traceid-spanid-flags. Cloud Run sets it on incoming requests.
  const traceId = headers?.get('traceparent')?.split('-')[1];
  return traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : null;
}
