import { describe, expect, it } from 'vitest';
import { allPartitions, partitionOf, STREAM_PARTITIONS } from '../src/firestore/partitions.ts';

describe('stream partitions', () => {
  it('maps a stream to the same partition every time, within range', () => {
    expect(partitionOf('order-1')).toBe(partitionOf('order-1'));
    for (let i = 0; i < 200; i++) {
      const partition = partitionOf(`order-${i}`);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(STREAM_PARTITIONS);
    }
  });

  it('is pinned: the stored layout depends on it', () => {
    expect([partitionOf('order-1'), partitionOf('product-sku-1'), partitionOf('customer-c1')]).toEqual([1, 3, 9]);
  });

  it('spreads streams over every partition', () => {
    const used = new Set(Array.from({ length: 1000 }, (_, i) => partitionOf(`order-${i}`)));
    expect([...used].sort((a, b) => a - b)).toEqual(allPartitions());
  });
});
