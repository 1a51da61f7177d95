/** Firestore's `in` filter takes at most 30 values: a longer list is asked in groups of that size. */
export const IN_FILTER_LIMIT = 30;

/** `values` in groups an `in` filter takes, in order. */
export function inFilterGroups<T>(values: readonly T[]): T[][] {
  const groups: T[][] = [];
  for (let at = 0; at < values.length; at += IN_FILTER_LIMIT) groups.push(values.slice(at, at + IN_FILTER_LIMIT));
  return groups;
}
