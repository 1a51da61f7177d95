/**
 * How a live stream ends when something goes wrong after it started: with one last result whose error says
 * why, then `complete`, the same over SSE and WebSocket. An expected failure (an EventloomError, such as a
 * subscriber dropped for falling too far behind) keeps its message and carries its code in
 * `extensions.code`; anything else is logged with its stack and masked. Without this, graphql-ws would send
 * a thrown error's raw message without a code, and yoga's SSE would mask even the expected ones.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { EventloomError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';

/** The one place an expected failure of a subscription becomes a GraphQL error. */
function subscriptionError(error: EventloomError): GraphQLError {
  return createGraphQLError(error.message, { extensions: { code: error.code } });
}

export function useSubscriptionErrors(logger: Logger): Plugin {
  return {
    onSubscribe: () => ({
      onSubscribeResult: ({ result, setResult }) => {
        if (Symbol.asyncIterator in result) setResult(endingWithTypedError(result, logger));
      },
    }),
  };
}

function endingWithTypedError(stream: AsyncIterableIterator<ExecutionResult>, logger: Logger): AsyncIterableIterator<ExecutionResult> {
  let failed = false;
  const wrapper: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (failed) return { value: undefined, done: true };
      try {
        return await stream.next();
      } catch (error) {
        failed = true;
        return { value: { errors: [typed(error, logger)] }, done: false };
      }
    },
    return: () => stream.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => stream.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]: () => wrapper,
  };
  return wrapper;
}

function typed(error: unknown, logger: Logger): GraphQLError {
  const expected = expectedCause(error);
  if (expected) {
    logger.warn({ code: expected.code, message: expected.message }, 'subscription ended');
    return subscriptionError(expected);
  }
  logger.error({ err: error }, 'subscription failed');
  return createGraphQLError('Unexpected error.');
}

/** The executor wraps what a source stream throws in a GraphQLError; the EventloomError is its original. */
function expectedCause(error: unknown): EventloomError | null {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof EventloomError) return cause;
    cause = (cause as { originalError?: unknown }).originalError ?? cause.cause;
  }
  return null;
}
