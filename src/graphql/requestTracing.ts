/**
 * Spans for the API's own hops, through yoga's instrumentation hooks (which wrap each phase, so the span is
 * the active context for everything inside it: resolvers, the command, the Firestore client's calls):
 *
 * - `HTTP <method> <path>` (server): every request, continuing the trace of an incoming `traceparent`
 *   (Cloud Run's front end sets one; a client may too), with the response status.
 * - `<query|mutation|subscription> <name>`: the GraphQL operation, with the request's correlation id.
 * - `graphql.execute` / `graphql.subscribe`: the execution phase (a subscription's setup, not its lifetime).
 * - `subscription frame <name>` (live): each result a live subscription sends.
 *
 * Resolvers get no span each: a list of fifty orders would be fifty spans of microseconds. The operation's
 * span and the Firestore client's spans say where the time went.
 */
import { type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { eventloomMetrics } from '../telemetry/metrics.ts';
import { ATTR, recordError, tracer } from '../telemetry/tracing.ts';
import type { GraphQLContext } from './context.ts';

const headerGetter = {
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
  keys: (headers: Headers) => [...headers.keys()],
};

/** Ends `span` when `result` settles (or at once when it is not a promise), marking a failure. */
function endWhenSettled<T>(span: Span, result: T): T {
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        recordError(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

export function useRequestTracing(): Plugin<Record<string, unknown>, Record<string, unknown>, GraphQLContext> {
  /** Each request's server span, and each operation's span (by request, or by context over WebSocket). */
  const requestSpans = new WeakMap<Request, Span>();
  const operationSpans = new WeakMap<object, { span: Span; context: Context }>();

  return {
    instrumentation: {
      request({ request }, wrapped) {
        const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
        const path = URL.canParse(request.url) ? new URL(request.url).pathname : request.url;
        const span = tracer().startSpan(
          `HTTP ${request.method} ${path}`,
          { kind: SpanKind.SERVER, attributes: { [ATTR.hop]: 'http', 'http.request.method': request.method, 'url.path': path } },
          parent,
        );
        // Known before any operation: a request refused early (CSRF, limits) is still found by its correlation id.
        const correlationId = request.headers.get('x-correlation-id');
        if (correlationId) span.setAttribute(ATTR.correlationId, correlationId.slice(0, 128));
        requestSpans.set(request, span);
        return endWhenSettled(span, context.with(trace.setSpan(parent, span), wrapped));
      },
      operation({ request }, wrapped) {
        const span = tracer().startSpan('graphql.operation', { attributes: { [ATTR.hop]: 'graphql' } });
        const active = trace.setSpan(context.active(), span);
        operationSpans.set(request, { span, context: active });
        return endWhenSettled(span, context.with(active, wrapped));
      },
      execute(_payload, wrapped) {
        const span = tracer().startSpan('graphql.execute', { attributes: { [ATTR.hop]: 'graphql' } });
        return endWhenSettled(span, context.with(trace.setSpan(context.active(), span), wrapped));
      },
      subscribe(_payload, wrapped) {
        const span = tracer().startSpan('graphql.subscribe', { attributes: { [ATTR.hop]: 'graphql' } });
        return endWhenSettled(span, context.with(trace.setSpan(context.active(), span), wrapped));
      },
    },
    onExecute({ args }) {
      describeOperation(args);
    },
    onSubscribe({ args }) {
      const name = describeOperation(args);
      const contextValue = args.contextValue as GraphQLContext & { request?: Request };
      // The frames of a subscription are children of its operation (of the subscribe span over WebSocket).
      const parent = (contextValue.request && operationSpans.get(contextValue.request)?.context) ?? context.active();
      return {
        onSubscribeResult() {
          return {
            onNext() {
              eventloomMetrics().liveFrames.add(1, { operation: name });
              tracer()
                .startSpan(
                  `subscription frame ${name}`,
                  { attributes: { [ATTR.hop]: 'live', [ATTR.correlationId]: contextValue.correlationId } },
                  parent,
                )
                .end();
            },
          };
        },
      };
    },
    onResponse({ request, response }) {
      requestSpans.get(request)?.setAttribute('http.response.status_code', response.status);
    },
  };

  /** Names the operation's span after the operation, and tags it and the request with the correlation id. */
  function describeOperation(args: {
    document: Parameters<typeof getOperationAST>[0];
    operationName?: string | null | undefined;
    contextValue: unknown;
  }): string {
    const operation = getOperationAST(args.document, args.operationName);
    const name = operation?.name?.value ?? args.operationName ?? 'anonymous';
    const contextValue = args.contextValue as GraphQLContext & { request?: Request };
    const request = contextValue.request;
    const operationSpan = request ? operationSpans.get(request)?.span : undefined;
    operationSpan?.updateName(`${operation?.operation ?? 'operation'} ${name}`);
    operationSpan?.setAttributes({
      'graphql.operation.type': operation?.operation ?? 'unknown',
      'graphql.operation.name': name,
      [ATTR.correlationId]: contextValue.correlationId,
    });
    if (request) requestSpans.get(request)?.setAttribute(ATTR.correlationId, contextValue.correlationId);
    return name;
  }
}
