/**
 * The GraphQL API as a value: a yoga instance built from its dependencies. It serves HTTP and SSE
 * itself (GraphQL over SSE, distinct connections mode); `attachWebSocket` adds graphql-ws.
 */
import { randomUUID } from 'node:crypto';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { ApiDeps, GraphQLContext } from './context.ts';
import { schema } from './schema/index.ts';
import { ViewLoaders } from './viewLoaders.ts';

export interface ApiOptions {
  readonly graphiql?: boolean;
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
    context: ({ request }) => ({
      deps,
      correlationId: correlationIdFrom(request?.headers) ?? randomUUID(),
      // Authentication is out of scope for now; the header lets the audit trail name a caller.
      actor: request?.headers.get('x-actor') ?? null,
      loaders: new ViewLoaders(deps.readModels),
    }),
  });
}

/** Reuses the caller's id so one request can be followed across API, events and projectors. */
function correlationIdFrom(headers: Headers | undefined): string | null {
  const explicit = headers?.get('x-correlation-id');
  if (explicit) return explicit.slice(0, 128);
  // W3C traceparent: version-traceid-spanid-flags. Cloud Run sets it on incoming requests.
  const traceId = headers?.get('traceparent')?.split('-')[1];
  return traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : null;
}
