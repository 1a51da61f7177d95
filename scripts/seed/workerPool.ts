/**
 * How the seed spreads its commands over time: a fixed number of workers taking items in turn, and a pacer
 * that spaces their starts so a person can watch the dashboards move.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Runs `task` over the items with at most `concurrency` at once; the first failure stops new starts. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
  onDone: (done: number, total: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
        onDone(++done, items.length);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
}

/** Spaces starts at least `delayMs` apart across all workers. */
export function pacer(delayMs: number): () => Promise<void> {
  let nextStart = 0;
  return async () => {
    if (delayMs <= 0) return;
    const now = Date.now();
    const start = Math.max(now, nextStart);
    nextStart = start + delayMs;
    if (start > now) await sleep(start - now);
  };
}
