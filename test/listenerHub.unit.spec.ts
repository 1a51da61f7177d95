/** One shared listener per key: opened by the first subscriber, closed by the last, current state for late joiners. */
import { describe, expect, it } from 'vitest';
import { ListenerHub, type HubSubscriber, type ListenerSource } from '../src/live/listenerHub.ts';

/** A listener the test drives by hand, counting how often it was opened and closed. */
function fakeSource<T>() {
  const state = { opened: 0, closed: 0, emit: (_: T) => {}, fail: (_: unknown) => {} };
  const source: ListenerSource<T> = (emit, fail) => {
    state.opened++;
    state.emit = emit;
    state.fail = fail;
    return () => void state.closed++;
  };
  return { source, state };
}

function recorder<T>() {
  const seen: T[] = [];
  const errors: unknown[] = [];
  const subscriber: HubSubscriber<T> = { next: (value) => seen.push(value), fail: (error) => errors.push(error) };
  return { subscriber, seen, errors };
}

describe('ListenerHub', () => {
  it('shares one listener among the subscribers of a key and closes it when the last leaves', () => {
    const hub = new ListenerHub();
    const { source, state } = fakeSource<number>();
    const a = recorder<number>();
    const b = recorder<number>();
    const leaveA = hub.join('doc:x', source, a.subscriber);
    const leaveB = hub.join('doc:x', source, b.subscriber);
    expect(state.opened).toBe(1);
    expect(hub.stats()).toEqual({ listeners: 1, subscribers: 2 });

    state.emit(1);
    expect(a.seen).toEqual([1]);
    expect(b.seen).toEqual([1]);

    leaveA();
    leaveA();
    expect(state.closed).toBe(0);
    state.emit(2);
    expect(a.seen).toEqual([1]);
    expect(b.seen).toEqual([1, 2]);
    leaveB();
    expect(state.closed).toBe(1);
    expect(hub.stats()).toEqual({ listeners: 0, subscribers: 0 });
  });

  it('gives a late joiner the current state at once, and nothing before the first snapshot', () => {
    const hub = new ListenerHub();
    const { source, state } = fakeSource<string>();
    const first = recorder<string>();
    hub.join('q', source, first.subscriber);
    const early = recorder<string>();
    hub.join('q', source, early.subscriber);
    expect(early.seen).toEqual([]);
    state.emit('v1');
    const late = recorder<string>();
    hub.join('q', source, late.subscriber);
    expect(late.seen).toEqual(['v1']);
    expect(state.opened).toBe(1);
  });

  it('keeps keys apart, and reopens a key after its listener closed', () => {
    const hub = new ListenerHub();
    const x = fakeSource<number>();
    const y = fakeSource<number>();
    const leaveX = hub.join('x', x.source, recorder<number>().subscriber);
    const leaveY = hub.join('y', y.source, recorder<number>().subscriber);
    expect(hub.stats().listeners).toBe(2);
    leaveX();
    leaveY();
    const again = recorder<number>();
    hub.join('x', x.source, again.subscriber);
    expect(x.state.opened).toBe(2);
    // A reopened listener starts over: no stale state from the closed one.
    expect(again.seen).toEqual([]);
  });

  it('fails every subscriber when the listener fails, and a later subscriber opens a new one', () => {
    const hub = new ListenerHub();
    const { source, state } = fakeSource<number>();
    const a = recorder<number>();
    const b = recorder<number>();
    const leaveA = hub.join('k', source, a.subscriber);
    hub.join('k', source, b.subscriber);
    state.fail(new Error('permission denied'));
    expect(a.errors).toHaveLength(1);
    expect(b.errors).toHaveLength(1);
    expect(hub.stats()).toEqual({ listeners: 0, subscribers: 0 });
    leaveA();
    hub.join('k', source, recorder<number>().subscriber);
    expect(state.opened).toBe(2);
    expect(hub.stats().listeners).toBe(1);
  });

  it('lets a subscriber leave from inside its own callback', () => {
    const hub = new ListenerHub();
    const { source, state } = fakeSource<number>();
    const seen: number[] = [];
    let leave = () => {};
    leave = hub.join('k', source, {
      next: (v) => {
        seen.push(v);
        leave();
      },
      fail: () => {},
    });
    const other = recorder<number>();
    hub.join('k', source, other.subscriber);
    state.emit(1);
    state.emit(2);
    expect(seen).toEqual([1]);
    expect(other.seen).toEqual([1, 2]);
  });
});
