import { describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_PARTITIONS, InvalidPartitionLayoutError, StreamPartitions, SWITCH_MARGIN_MS } from '../src/firestore/partitions.ts';

const layout = StreamPartitions.DEFAULT;
const streams = Array.from({ length: 1000 }, (_, i) => `order-${i}`);

describe('stream partitions', () => {
  it('maps a stream to the same partition every time, within range', () => {
    expect(layout.partitionOf('order-1')).toBe(layout.partitionOf('order-1'));
    for (const stream of streams.slice(0, 200)) {
      const partition = layout.partitionOf(stream);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(DEFAULT_STREAM_PARTITIONS);
    }
  });

  it('is pinned: the stored layout depends on it', () => {
    expect([layout.partitionOf('order-1'), layout.partitionOf('product-sku-1'), layout.partitionOf('customer-c1')]).toEqual([1, 3, 9]);
  });

  it('spreads streams over every partition', () => {
    const used = new Set(streams.map((stream) => layout.partitionOf(stream)));
    expect([...used].sort((a, b) => a - b)).toEqual(layout.all());
  });
});

describe('a growth of the stream partitions', () => {
  const switchAt = Date.parse('2026-12-02T10:00:00Z');
  const grown = layout.grownTo(64, switchAt);

  it('hashes appends over the old count before the switch and over the new one from it', () => {
    expect(grown.countAt(switchAt - 1)).toBe(16);
    expect(grown.countAt(switchAt)).toBe(64);
    const after = new Set(streams.map((stream) => grown.partitionOf(stream, switchAt)));
    expect(after.size).toBe(64);
    expect(streams.every((stream) => grown.partitionOf(stream, switchAt - 1) === layout.partitionOf(stream))).toBe(true);
  });

  it('keeps each stream in its partition or moves it to one the growth opened', () => {
    for (const stream of streams) {
      const before = grown.partitionOf(stream, switchAt - 1);
      const after = grown.partitionOf(stream, switchAt);
      expect(after === before || after >= 16).toBe(true);
      expect(after % 16).toBe(before);
    }
  });

  it('has readers merge every partition from the moment it is announced', () => {
    expect(grown.all()).toHaveLength(64);
    expect(layout.all()).toHaveLength(16);
  });

  it("makes an opened partition wait for its streams' partition until the switch plus the margin", () => {
    expect(grown.openedBy(3)).toBeNull();
    expect(grown.openedBy(16 + 3)).toEqual({ from: 3, until: switchAt + SWITCH_MARGIN_MS });
    expect(grown.openedBy(48 + 15)).toEqual({ from: 15, until: switchAt + SWITCH_MARGIN_MS });
    // A second growth: its partitions come from the second count's.
    const twice = grown.grownTo(128, switchAt + 3_600_000);
    expect(twice.openedBy(64 + 40)).toEqual({ from: 40, until: switchAt + 3_600_000 + SWITCH_MARGIN_MS });
    expect(twice.openedBy(40)).toEqual({ from: 8, until: switchAt + SWITCH_MARGIN_MS });
  });

  it('refuses a count that is not a multiple, that shrinks, or that starts before the last', () => {
    expect(() => layout.grownTo(24, switchAt)).toThrow(InvalidPartitionLayoutError);
    expect(() => layout.grownTo(8, switchAt)).toThrow(/multiple/);
    expect(() => grown.grownTo(128, switchAt - 1)).toThrow(/after the one before/);
    expect(() => new StreamPartitions([{ partitions: 16, since: 5 }], 16)).toThrow(/from the start/);
    expect(() => new StreamPartitions([{ partitions: 0, since: 0 }], 16)).toThrow(/whole number/);
  });

  it('leaves the view partitions as the store was laid out', () => {
    expect(grown.viewPartitions).toBe(16);
    expect(grown.allViewPartitions()).toEqual(layout.all());
    expect(grown.viewPartitionOf('order-1')).toBe(layout.partitionOf('order-1'));
  });
});
