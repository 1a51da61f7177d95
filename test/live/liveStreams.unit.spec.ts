/**
 * The live machinery read-side adapters build streams with, without any database: one shared listener
 * per key with a bounded queue per subscriber (LiveStreams), a poll that streams only news
 * (pollingSource), and how a change-shaped stream folds what waits (mergeChanges).
 */
import { describe, expect, it, vi } from 'vitest';
import type { ViewChange } from '../../src/core/readModels.ts';
import type { ListenerSource } from '../../src/live/listenerHub.ts';
import { LiveStreams } from '../../src/live/liveStreams.ts';
import { pollingSource } from '../../src/live/pollingSource.ts';
import { conflate, mergeChanges } from '../../src/live/subscriberQueue.ts';

/** A listener the test drives by hand. */
function fakeSource<T>() {
  const state = { opened: 0, closed: 0, emit: (_: T) => {} };
  const source: ListenerSource<T> = (emit) => {
    state.opened++;
    state.emit = emit;
    return () => void state.closed++;
  };
  return { source, state };
}

describe('LiveStreams', () => {
  it('shares one listener per key, counts what waits, and closes the listener with its last subscriber', async () => {
    const live = new LiveStreams();
    const { source, state } = fakeSource<number>();
    const open = () =>
      live.open(
        async () => ({ key: 'doc:x', source }),
        conflate<number>(),
        (n) => n * 10,
      );
    const a = open();
    const b = open();
    await vi.waitFor(() => expect(live.stats()).toEqual({ listeners: 1, subscribers: 2, waiting: 0 }));
    expect(state.opened).toBe(1);

    state.emit(1);
    state.emit(2);
    // Neither has pulled: each holds only the latest value.
    expect(live.stats()).toEqual({ listeners: 1, subscribers: 2, waiting: 2 });
    await expect(a.next()).resolves.toEqual({ value: 20, done: false });
    expect(live.stats().waiting).toBe(1);

    await a.return?.();
    expect(state.closed).toBe(0);
    await b.return?.();
    expect(state.closed).toBe(1);
    expect(live.stats()).toEqual({ listeners: 0, subscribers: 0, waiting: 0 });
  });

  it('ends every stream, and completes one opened afterwards at once', async () => {
    const live = new LiveStreams();
    const { source, state } = fakeSource<number>();
    const stream = live.open(
      async () => ({ key: 'k', source }),
      conflate<number>(),
      (n) => n,
    );
    await vi.waitFor(() => expect(state.opened).toBe(1));
    const pending = stream.next();

    live.end();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(state.closed).toBe(1);
    const late = live.open(
      async () => ({ key: 'k', source }),
      conflate<number>(),
      (n) => n,
    );
    await expect(late.next()).resolves.toEqual({ value: undefined, done: true });
    expect(state.opened).toBe(1);
  });

  it('fails the stream when its listener cannot be named', async () => {
    const live = new LiveStreams();
    const stream = live.open<number, number>(
      () => Promise.reject(new Error('no registry')),
      conflate(),
      (n) => n,
    );
    await expect(stream.next()).rejects.toThrow('no registry');
    expect(live.stats()).toEqual({ listeners: 0, subscribers: 0, waiting: 0 });
  });
});

describe('pollingSource', () => {
  it('emits the first read and then only reads that differ, until stopped', async () => {
    const reads = [{ lag: 1 }, { lag: 1 }, { lag: 2 }, { lag: 2 }];
    let calls = 0;
    const read = async () => reads[Math.min(calls++, reads.length - 1)]!;
    const emitted: Array<{ lag: number }> = [];
    const stop = pollingSource(read, 1)(
      (value) => emitted.push(value),
      (error) => {
        throw error;
      },
    );
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(4));
    stop();
    expect(emitted).toEqual([{ lag: 1 }, { lag: 2 }]);
    const stoppedAt = calls;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(stoppedAt);
  });

  it('fails once a read fails, and polls no more', async () => {
    let calls = 0;
    const fail = vi.fn();
    pollingSource(async () => {
      calls++;
      throw new Error('unavailable');
    }, 1)(() => {}, fail);
    await vi.waitFor(() => expect(fail).toHaveBeenCalledWith(new Error('unavailable')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
  });
});

describe('mergeChanges', () => {
  const change = (type: ViewChange<number>['type'], id: string, view: number): ViewChange<number> => ({ type, id, view });
  const merge = mergeChanges<number>(10).merge;

  it("keeps each view's latest change, as the subscriber will see it", () => {
    const waiting = [change('added', 'a', 1), change('modified', 'b', 1), change('removed', 'c', 1)];
    const arriving = [change('modified', 'a', 2), change('modified', 'b', 2), change('added', 'c', 2), change('added', 'd', 1)];
    expect(merge(waiting, arriving)).toEqual([
      // Not seen yet: it still enters, with its latest state.
      change('added', 'a', 2),
      change('modified', 'b', 2),
      // It left and came back: to the subscriber, it changed.
      change('modified', 'c', 2),
      change('added', 'd', 1),
    ]);
  });

  it('drops a view that entered and left before the subscriber saw it', () => {
    expect(merge([change('added', 'a', 1)], [change('removed', 'a', 1)])).toEqual([]);
  });

  it('takes what arrives when nothing waits, and measures by views', () => {
    const arriving = [change('added', 'a', 1)];
    expect(merge(undefined, arriving)).toBe(arriving);
    expect(mergeChanges<number>(10).size([change('added', 'a', 1), change('added', 'b', 1)])).toBe(2);
  });
});
