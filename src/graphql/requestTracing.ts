/**
 * Spans for the API's own hops, through yoga's instrumentation hooks (which wrap each phase, so the span is
 * the active context for everything inside it: resolvers, the command, the Firestore client's calls):
 *
 * - `HTTP <method> <path>` (server): every request, continuing the trace of an incoming `traceparent`
 *   (Cloud Run's front end sets one; a client may too), with the response status.
 * - `<query|mutation|subscription> <name>`: the GraphQL operation, with the request's correlation id.
 * - `graphql.execute` / `graphql.subscribe`: the execution phase (a subscription's setup, not its lifetime).
 * - `subscription frame <name>` (live): each result a live subscription sends. When the value it carries was
 *   written by a projector in a sampled trace (src/live/liveTrace.ts), the frame is a span of that trace, a child
 *   of the projector's span, linked to the subscription's operation; otherwise a child of the operation.
 *
 * Resolvers get no span each: a list of fifty orders would be fifty spans of microseconds. The operation's
 * span and the Firestore client's spans say where the time went.
 */
import { type Context, context, propagation, ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import { defaultFieldResolver, getOperationAST, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type LiveTrace, liveTraceOf } from '../live/liveTrace.ts';
import { eventloomMetrics } from '../telemetry/metrics.ts';
import { ATTR, contextFrom, recordError, tracer } from '../telemetry/tracing.ts';
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

/** Marks a schema whose subscription fields already note their frames' traces. */
const NOTES_FRAME_TRACES = Symbol('notesFrameTraces');

/**
 * The trace of the value each subscription is about to send, by its GraphQL context: noted when the subscription
 * field resolves a value, read when the result goes out (graphql-js resolves a subscription's values one at a
 * time, each before its result is sent, and every subscription has a context of its own).
 */
const frameTraces = new WeakMap<object, LiveTrace | null>();

/**
 * Wraps each subscription field's `resolve` (which graphql-js calls with the value the source stream yielded,
 * before the result goes out) so it notes the value's trace for the frame span, as `@envelop/on-resolve` wraps
 * resolvers; done once per schema.
 */
function noteFrameTraces(schema: GraphQLSchema): void {
  const subscription = schema.getSubscriptionType() as
    | (ReturnType<GraphQLSchema['getSubscriptionType']> & { [NOTES_FRAME_TRACES]?: true })
    | null;
  if (!subscription || subscription[NOTES_FRAME_TRACES]) return;
  subscription[NOTES_FRAME_TRACES] = true;
  for (const field of Object.values(subscription.getFields())) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (root, args, contextValue, info) => {
      if (typeof contextValue === 'object' && contextValue !== null) frameTraces.set(contextValue, liveTraceOf(root));
      return resolve(root, args, contextValue, info);
    };
  }
}

export function useRequestTracing(): Plugin<Record<string, unknown>, Record<string, unknown>, GraphQLContext> {
  /** Each request's server span, and each operation's span (by request, or by context over WebSocket). */
  const requestSpans = new WeakMap<Request, Span>();
  const operationSpans = new WeakMap<object, { span: Span; context: Context }>();

  return {
    onSchemaChange({ schema }) {
      noteFrameTraces(schema);
    },
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
      // The first frame is the state when subscribing: of the subscription's own trace, not of the write that left it.
      let first = true;
      return {
        onSubscribeResult() {
          return {
            onNext() {
              eventloomMetrics().liveFrames.add(1, { operation: name });
              const written = first ? null : frameTraces.get(contextValue);
              first = false;
              const attributes = { [ATTR.hop]: 'live', 'graphql.operation.name': name };
              if (written) {
                // In the trace of the write that changed the view, linked to the subscription it went out on.
                const subscription = trace.getSpanContext(parent);
                tracer()
                  .startSpan(
                    `subscription frame ${name}`,
                    {
                      attributes: { ...attributes, 'eventloom.subscriber_correlation_id': contextValue.correlationId },
                      ...(subscription ? { links: [{ context: subscription }] } : {}),
                    },
                    contextFrom(written),
                  )
                  .end();
              } else {
                tracer()
                  .startSpan(
                    `subscription frame ${name}`,
                    { attributes: { ...attributes, [ATTR.correlationId]: contextValue.correlationId } },
                    parent,
                  )
                  .end();
              }
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
