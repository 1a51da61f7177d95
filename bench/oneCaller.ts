/**
 * API options for the parts that drive the write path from one bench process: there, every request comes from
 * the same caller, which the per-caller rate limit (600 calls of a field a minute) would refuse long before the
 * run ends, although on the real path those orders come from thousands of callers. The limit stays on, so its
 * bookkeeping is still timed: a one-second window keeps its record of calls as short as a busy caller's, and a
 * ceiling no run reaches keeps it from refusing. Part (h) measures the limits themselves.
 */
import { DEFAULT_API_LIMITS } from '../src/apiLimits.ts';
import type { ApiOptions } from '../src/graphql/createApi.ts';

export const ONE_CALLER_API: ApiOptions = {
  limits: { ...DEFAULT_API_LIMITS, rateLimit: { max: 1_000_000_000, windowMs: 1_000 } },
};
