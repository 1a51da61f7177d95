import { Timestamp } from '@google-cloud/firestore';
import { describe, expect, it } from 'vitest';
import { mergePartitionResults } from '../src/firestore/firestoreReadModels.ts';
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
    const views = [{ partitions: 16, since: 0 }];
    expect(() => new StreamPartitions([{ partitions: 16, since: 5 }], views)).toThrow(/first stream count must hold from the start/);
    expect(() => new StreamPartitions([{ partitions: 0, since: 0 }], views)).toThrow(/whole number/);
    expect(() => new StreamPartitions(layout.counts, [{ partitions: 16, since: 5 }])).toThrow(/first view count/);
  });

  it('leaves the view partitions as they were', () => {
    expect(grown.viewCounts).toEqual(layout.viewCounts);
    expect(grown.allViewPartitions()).toEqual(layout.all());
    expect(grown.viewPartitionOf('order-1', switchAt)).toBe(layout.partitionOf('order-1'));
  });
});

describe('a growth of the view partitions', () => {
  const switchAt = Date.parse('2026-12-02T10:00:00Z');
  const grown = layout.viewsGrownTo(64, switchAt);
  const views = streams.map((stream) => stream.replace('order-', ''));

  it('writes views over the old count before the switch and over the new one from it, keeping the stream partitions', () => {
    expect(grown.viewCountAt(switchAt - 1)).toBe(16);
    expect(grown.viewCountAt(switchAt)).toBe(64);
    expect(new Set(views.map((id) => grown.viewPartitionOf(id, switchAt))).size).toBe(64);
    for (const id of views) {
      const before = grown.viewPartitionOf(id, switchAt - 1);
      expect(before).toBe(layout.viewPartitionOf(id));
      expect(grown.viewPartitionOf(id, switchAt) % 16).toBe(before);
    }
    expect(grown.counts).toEqual(layout.counts);
  });

  it('has live queries listen to every view partition from the moment it is announced', () => {
    expect(grown.allViewPartitions()).toHaveLength(64);
    expect(grown.all()).toHaveLength(16);
  });

  it('keeps a view that two partitions hold while it moves once, as written last', () => {
    const written = (id: string, placedAt: number, at: Timestamp) => ({ id, view: { placedAt }, writtenAt: at.valueOf() });
    // Timestamp.valueOf() orders as text: 9 s before 10 s, and nanoseconds within a second.
    const [early, late, later] = [new Timestamp(9, 0), new Timestamp(10, 5), new Timestamp(10, 500_000_000)];
    const oldPartition = [written('a', 3, early), written('moved', 2, early)];
    const newPartition = [written('moved', 5, later), written('b', 1, late)];
    const newestFirst = { field: 'placedAt', direction: 'desc' } as const;
    expect(mergePartitionResults([oldPartition, newPartition], newestFirst, 2)).toEqual([
      { id: 'moved', view: { placedAt: 5 } },
      { id: 'a', view: { placedAt: 3 } },
    ]);
    expect(mergePartitionResults([newPartition, oldPartition], newestFirst, undefined).map(({ id }) => id)).toEqual(['moved', 'a', 'b']);
  });

  it('refuses a view count that is not a multiple, or that starts before the last', () => {
    expect(() => layout.viewsGrownTo(24, switchAt)).toThrow(/24 view partitions do not grow 16/);
    expect(() => grown.viewsGrownTo(128, switchAt - 1)).toThrow(/each view count must start after/);
  });
});
