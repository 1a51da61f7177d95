/**
 * Per-caller rate limits on the root query and mutation fields (@envelop/rate-limiter): each caller
 * (`rateLimitKey`) may call each root field `max` times within a sliding window; aliases count, so one
 * request with 15 aliases of a field is 15 calls. A refused call refuses its whole operation, before
 * execution, with RATE_LIMIT.EXCEEDED (HTTP 429, Retry-After). Subscriptions are not counted here (the
 * plugin sees executions only): over WebSocket the connection and operation limits bound them; over SSE,
 * where each subscription is a request of its own, nothing counts them per caller yet.
 *
 * The window is counted in this instance's memory: with N instances a caller may get up to N times `max`.
 * The plugin's RedisStore would share it (Memorystore), at a round trip per root field.
 */
import { Store, useRateLimiter, type Identity } from '@envelop/rate-limiter';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { RateLimit } from '../apiLimits.ts';
import { rateLimitKey } from './callers.ts';
import type { GraphQLContext } from './context.ts';

export const RATE_LIMITED = 'RATE_LIMIT.EXCEEDED';

export function useRateLimits({ max, windowMs }: RateLimit): Plugin {
  const window = String(windowMs);
  return useRateLimiter({
    identifyFn: (context) => rateLimitKey(context as GraphQLContext),
    store: new RecentCalls(),
    configByField: [
      { type: 'Query', field: '*', max, window },
      { type: 'Mutation', field: '*', max, window },
    ],
    formatError: ({ fieldName }) => `Too many calls to ${fieldName}: at most ${max} every ${windowMs / 1000} s.`,
    transformError: (message) =>
      createGraphQLError(message, {
        extensions: {
          code: RATE_LIMITED,
          http: { status: 429, headers: { 'Retry-After': String(Math.ceil(windowMs / 1000)) } },
        },
      }),
  }) as Plugin;
}

/** Timestamps held in all, over every caller and field: about 8 MB. */
const MAX_TIMESTAMPS = 1_000_000;

/**
 * The calls each caller made to each field within the window, forgotten when the window has passed, the
 * least recently active callers first when full (they then start afresh). The plugin's InMemoryStore copies
 * its whole state on every call and never forgets a caller.
 */
class RecentCalls extends Store {
  private readonly calls = new LRUCache<string, readonly number[]>({
    maxSize: MAX_TIMESTAMPS,
    sizeCalculation: (timestamps) => timestamps.length + 1,
  });

  getForIdentity(identity: Identity): readonly number[] {
    return this.calls.get(keyOf(identity)) ?? [];
  }

  setForIdentity(identity: Identity, timestamps: readonly number[], windowMs?: number): void {
    this.calls.set(keyOf(identity), timestamps, windowMs ? { ttl: windowMs } : {});
  }
}

function keyOf({ contextIdentity, fieldIdentity }: Identity): string {
  return `${contextIdentity} ${fieldIdentity}`;
}
