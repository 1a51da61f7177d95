/** Summary statistics for benchmark samples. */

/**
 * The q-quantile (0..1) of the samples, interpolating linearly between the two nearest ranks (numpy's
 * default): with a few hundred samples, p99 then moves smoothly instead of jumping to the maximum.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: quantile(samples, 0.5),
    p95: quantile(samples, 0.95),
    p99: quantile(samples, 0.99),
    max: samples.length > 0 ? Math.max(...samples) : Number.NaN,
  };
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);
