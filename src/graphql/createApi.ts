/**
 * The GraphQL API as a value: a yoga instance built from its dependencies. It serves HTTP and SSE
 * itself (GraphQL over SSE, distinct connections mode); `attachWebSocket` adds graphql-ws. It also
 * serves the live dashboard at /dashboard.
 *
 * Subscriptions, over either transport: authorized before they start (`authorizeSubscription`), fed
 * through bounded per-subscriber queues (see FirestoreReadModels), ended by a typed error when they
 * fail. SSE streams carry a keep-alive comment every 12 s (yoga's own); WebSocket keep-alives are in
 * `webSocket.ts`.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { allowAllSubscriptions, useSubscriptionAuthorization } from './authorizeSubscriptions.ts';
import type { ApiDeps, GraphQLContext } from './context.ts';
import { schema } from './schema/index.ts';
import { useDashboard } from './serveDashboard.ts';
import { useSubscriptionErrors } from './subscriptionErrors.ts';
import { ViewLoaders } from './viewLoaders.ts';

export interface ApiOptions {
  readonly graphiql?: boolean;
  /** The built dashboard (`npm run build:dashboard`). Default `dashboard/dist` under the working directory. */
  readonly dashboardDir?: string;
}

export type Api = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

export function createApi(deps: ApiDeps, options: ApiOptions = {}): Api {
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: options.graphiql ? { title: 'Eventloom', subscriptionsProtocol: 'SSE' } : false,
    logging: {
      debug: (...args) => deps.logger.debug({ args }, 'yoga'),
      info: (...args) => deps.logger.info({ args }, 'yoga'),
      warn: (...args) => deps.logger.warn({ args }, 'yoga'),
      error: (...args) => deps.logger.error({ args }, 'yoga'),
    },
    plugins: [
      useSubscriptionAuthorization(deps.authorizeSubscription ?? allowAllSubscriptions),
      useSubscriptionErrors(deps.logger),
      useDashboard(options.dashboardDir ?? resolve('dashboard/dist')),
    ],
    context: ({ request, connectionParams }) => ({
      deps,
      correlationId: correlationIdFrom(request?.headers) ?? randomUUID(),
      // Authentication is out of scope for now; the header (or, over WebSocket, where browsers cannot set
      // headers, the connection parameter) lets the audit trail and subscription rules name a caller.
      actor: request?.headers.get('x-actor') ?? actorFrom(connectionParams),
      loaders: new ViewLoaders(deps.readModels),
    }),
  });
}

function actorFrom(connectionParams: unknown): string | null {
  const actor = (connectionParams as { actor?: unknown } | null | undefined)?.actor;
  return typeof actor === 'string' && actor.length > 0 ? actor.slice(0, 128) : null;
}

/** Reuses the caller's id so one request can be followed across API, events and projectors. */
function correlationIdFrom(headers: Headers | undefined): string | null {
  const explicit = headers?.get('x-correlation-id');
  if (explicit) return explicit.slice(0, 128);
  // W3C traceparent: version-traceid-spanid-flags. Cloud Run sets it on incoming requests.
  const traceId = headers?.get('traceparent')?.split('-')[1];
  return traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : null;
}
