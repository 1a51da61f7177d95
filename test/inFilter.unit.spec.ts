import { describe, expect, it } from 'vitest';
import { IN_FILTER_LIMIT, inFilterGroups } from '../src/firestore/inFilter.ts';

describe('inFilterGroups', () => {
  it('splits values into groups an `in` filter takes, keeping their order', () => {
    const values = Array.from({ length: 2 * IN_FILTER_LIMIT + 1 }, (_, i) => `v${i}`);
    const groups = inFilterGroups(values);
    expect(groups.map((g) => g.length)).toEqual([IN_FILTER_LIMIT, IN_FILTER_LIMIT, 1]);
    expect(groups.flat()).toEqual(values);
    expect(inFilterGroups([])).toEqual([]);
  });
});
