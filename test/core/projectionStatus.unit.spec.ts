/** How far a projection trails the event store, as ProjectionStatus reports it. */
import { describe, expect, it } from 'vitest';
import { lagSeconds } from '../../src/core/projectionStatus.ts';

const NOW = new Date('2026-11-30T12:00:00.000Z');

describe('lagSeconds', () => {
  it('is how far the newest applied event trails the newest stored one', () => {
    expect(lagSeconds('2026-11-30T11:59:30.000Z', '2026-11-30T11:59:27.500Z', NOW)).toBe(2.5);
  });

  it('is 0 when caught up, and when the store is empty', () => {
    expect(lagSeconds('2026-11-30T11:59:30.000Z', '2026-11-30T11:59:30.000Z', NOW)).toBe(0);
    expect(lagSeconds(null, null, NOW)).toBe(0);
  });

  it('with nothing applied yet, is as long as the newest event is old', () => {
    expect(lagSeconds('2026-11-30T11:58:00.000Z', null, NOW)).toBe(120);
  });

  it('is never negative, though an event stored and applied after the newest was read makes the difference so', () => {
    expect(lagSeconds('2026-11-30T11:59:00.000Z', '2026-11-30T11:59:05.000Z', NOW)).toBe(0);
  });
});
