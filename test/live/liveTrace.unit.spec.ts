/**
 * Which write a live value came from: the trace a read-side adapter tags a value with is found again on the value,
 * or, for the lists a query subscription sends, on the last item (or item's view) that was tagged.
 */
import { describe, expect, it } from 'vitest';
import { liveTraceOf, tagLiveValue } from '../../src/live/liveTrace.ts';

const written = (n: number) => ({ traceparent: `00-${String(n).padStart(32, '0')}-${String(n).padStart(16, '0')}-01` });

describe('the trace of a live value', () => {
  it('is the tag of the value itself', () => {
    const view = tagLiveValue({ orderId: 'o-1' }, written(1));
    expect(liveTraceOf(view)).toEqual(written(1));
  });

  it('is the last tagged item, or item view, of a list: the changed documents of a query', () => {
    const unchanged = { id: 'a', view: { n: 1 } };
    const changed = { id: 'b', view: tagLiveValue({ n: 2 }, written(2)) };
    const changedLater = { type: 'modified', id: 'c', view: tagLiveValue({ n: 3 }, written(3)) };
    expect(liveTraceOf([unchanged, changed])).toEqual(written(2));
    expect(liveTraceOf([changed, changedLater, unchanged])).toEqual(written(3));
    expect(liveTraceOf([tagLiveValue({ n: 4 }, written(4)), unchanged])).toEqual(written(4));
  });

  it('is none for values nobody tagged, for a missing trace, and for null', () => {
    expect(liveTraceOf({ orderId: 'o-2' })).toBeNull();
    expect(liveTraceOf(tagLiveValue({ orderId: 'o-3' }, null))).toBeNull();
    expect(liveTraceOf([{ id: 'a', view: { n: 1 } }, null, 3])).toBeNull();
    expect(liveTraceOf(null)).toBeNull();
  });
});
