/** The bounded queue between a shared listener and one subscriber: what waits, what is dropped, how it ends. */
import { describe, expect, it, vi } from 'vitest';
import { conflate, SubscriberOverflowError, SubscriberQueue, type OverflowPolicy } from '../src/live/subscriberQueue.ts';

/** Merges arrays of ids (a stand-in for change batches), counting the distinct ids waiting. */
const distinctIds = (limit: number): OverflowPolicy<string[]> => ({
  limit,
  size: (ids) => ids.length,
  merge: (waiting, arriving) => [...new Set([...(waiting ?? []), ...arriving])],
});

describe('SubscriberQueue', () => {
  it('hands a value straight to a reader that is waiting', async () => {
    const queue = new SubscriberQueue<number>(conflate(), () => {});
    const next = queue.next();
    queue.push(1);
    await expect(next).resolves.toEqual({ value: 1, done: false });
    expect(queue.pending).toBe(0);
  });

  it('keeps only the latest state for a subscriber that is not reading (conflation)', async () => {
    const queue = new SubscriberQueue<number>(conflate(), () => {});
    for (let i = 1; i <= 10_000; i++) queue.push(i);
    expect(queue.pending).toBe(1);
    await expect(queue.next()).resolves.toEqual({ value: 10_000, done: false });
    const next = queue.next();
    queue.push(10_001);
    await expect(next).resolves.toEqual({ value: 10_001, done: false });
  });

  it('merges changes while the subscriber lags, and drops it with SUBSCRIPTION.OVERFLOW past the limit', async () => {
    const onEnd = vi.fn();
    const queue = new SubscriberQueue<string[]>(distinctIds(3), onEnd);
    // The first value is taken whatever its size: a live query's first snapshot may be large.
    queue.push(['a', 'b', 'c', 'd', 'e']);
    await expect(queue.next()).resolves.toEqual({ value: ['a', 'b', 'c', 'd', 'e'], done: false });
    queue.push(['a']);
    queue.push(['a', 'b']);
    queue.push(['b', 'c']);
    expect(queue.pending).toBe(1);
    await expect(queue.next()).resolves.toEqual({ value: ['a', 'b', 'c'], done: false });
    expect(onEnd).not.toHaveBeenCalled();

    queue.push(['a', 'b']);
    queue.push(['c', 'd']);
    // Released at once: nothing waits for a dropped subscriber, and its listener may close now.
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(queue.pending).toBe(0);
    const error = await queue.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriberOverflowError);
    expect((error as SubscriberOverflowError).code).toBe('SUBSCRIPTION.OVERFLOW');
    await expect(queue.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('rejects a waiting reader when the listener fails, and ends once', async () => {
    const onEnd = vi.fn();
    const queue = new SubscriberQueue<number>(conflate(), onEnd);
    const next = queue.next();
    queue.fail(new Error('listener died'));
    await expect(next).rejects.toThrow('listener died');
    await expect(queue.next()).resolves.toEqual({ value: undefined, done: true });
    queue.push(1);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('return() completes a waiting reader, drops what waits, and releases once', async () => {
    const onEnd = vi.fn();
    const queue = new SubscriberQueue<number>(conflate(), onEnd);
    const next = queue.next();
    await queue.return();
    await expect(next).resolves.toEqual({ value: undefined, done: true });
    queue.push(1);
    await queue.return();
    expect(queue.pending).toBe(0);
    await expect(queue.next()).resolves.toEqual({ value: undefined, done: true });
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('works with for await, ending when returned from inside the loop', async () => {
    const onEnd = vi.fn();
    const queue = new SubscriberQueue<number>(conflate(), onEnd);
    queue.push(1);
    const seen: number[] = [];
    for await (const value of queue) {
      seen.push(value);
      if (value === 3) break;
      queue.push(value + 1);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });
});
