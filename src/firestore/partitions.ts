/**
 * Streams are spread over partitions by a hash of their id. Every event document records its stream's
 * partition, and every store-wide index that orders by a timestamp puts the partition first: Firestore takes
 * only about 500 writes/s into an index range where a field grows monotonically ("sharded timestamps" in its
 * documentation), so a store-wide order is read as one ordered range per partition, merged on read. The outbox
 * relays claim partitions too, so each stream's events are published by one relay, in order.
 *
 * How many partitions a deployment has is part of its stored layout (src/firestore/partitionLayout.ts), and
 * it can grow while the system runs: a count takes effect at a time announced ahead (`since`), and each new
 * count is a multiple of the one before. The events already stored keep their partition, and readers merge
 * every partition any count has used. A multiple keeps each stream either in its partition or moves it to one
 * the growth opened (hash mod 32 is hash mod 16, or that plus 16), so per-stream order needs one rule: a new
 * partition's relay publishes nothing until the partition its streams came from has published every event
 * recorded before the switch (`openedBy`).
 *
 * Views are partitioned too, for the ordered live queries (src/firestore/readModelLayout.ts), by counts of their
 * own that grow the same way. A view is stored with the partition of its id under the count in effect when it is
 * written, so a view written again after a growth may move to a partition the growth opened; an ordered live query
 * listens to every partition of the latest count (which holds every earlier count's partitions: a multiple) and
 * keeps each view once, from the partition it was written to last.
 */
import { shardOf } from '../core/projection.ts';
import { EventloomError } from '../core/errors.ts';

/** The count of a store laid out before counts were stored, and of a new store unless chosen otherwise. */
export const DEFAULT_STREAM_PARTITIONS = 16;

/** A relay listens per partition and a store-wide read queries per partition: past this, those costs outgrow the store. */
export const MAX_PARTITIONS = 1024;

/**
 * Writers pick the count by their own clock, the relays compare it with Firestore's commit times: a new
 * partition waits until this long after the switch, and for every event its origin partition recorded before
 * then. Cloud Run keeps clocks within milliseconds of each other; this allows for far worse.
 */
export const SWITCH_MARGIN_MS = 2_000;

/** From `since` (epoch ms) on, streams are hashed over `partitions`. */
export interface PartitionCount {
  readonly partitions: number;
  readonly since: number;
}

/** A growth's new partition: its streams came from `from`, whose events recorded before `until` go out first. */
export interface PartitionOrigin {
  readonly from: number;
  readonly until: number;
}

export class StreamPartitions {
  static readonly DEFAULT = new StreamPartitions(
    [{ partitions: DEFAULT_STREAM_PARTITIONS, since: 0 }],
    [{ partitions: DEFAULT_STREAM_PARTITIONS, since: 0 }],
  );

  constructor(
    /** Every count of stream partitions the store has had or has announced, oldest first; the first since 0. */
    readonly counts: readonly PartitionCount[],
    /** The same for the view partitions. */
    readonly viewCounts: readonly PartitionCount[],
  ) {
    checkCounts(counts, 'stream');
    checkCounts(viewCounts, 'view');
  }

  /** How many partitions appends hash over at `at` (epoch ms). */
  countAt(at: number): number {
    return countAt(this.counts, at);
  }

  /** The partition of a stream for an append at `at`: the hash a view shard uses (shardOf: first 4 bytes of SHA-256), over the count then. */
  partitionOf(streamId: string, at = Date.now()): number {
    return shardOf(streamId, this.countAt(at));
  }

  /** Every partition any count uses, announced ones included: what readers merge and relays publish. */
  all(): number[] {
    return upTo(this.counts.at(-1)!.partitions);
  }

  /** How many partitions views written at `at` (epoch ms) are spread over. */
  viewCountAt(at: number): number {
    return countAt(this.viewCounts, at);
  }

  /** The view partition of a view id, for a view written at `at`. */
  viewPartitionOf(viewId: string, at = Date.now()): number {
    return shardOf(viewId, this.viewCountAt(at));
  }

  /** Every view partition any count uses, announced ones included: what an ordered live query listens to. */
  allViewPartitions(): number[] {
    return upTo(this.viewCounts.at(-1)!.partitions);
  }

  /** For a partition a growth opened, where its streams came from; null for the store's first partitions. */
  openedBy(partition: number): PartitionOrigin | null {
    const opening = this.counts.findIndex((count) => partition < count.partitions);
    if (opening <= 0) return null;
    const before = this.counts[opening - 1]!;
    return { from: partition % before.partitions, until: this.counts[opening]!.since + SWITCH_MARGIN_MS };
  }

  /** This layout with `partitions` stream partitions announced from `since` on. */
  grownTo(partitions: number, since: number): StreamPartitions {
    return new StreamPartitions([...this.counts, { partitions, since }], this.viewCounts);
  }

  /** This layout with `partitions` view partitions announced from `since` on. */
  viewsGrownTo(partitions: number, since: number): StreamPartitions {
    return new StreamPartitions(this.counts, [...this.viewCounts, { partitions, since }]);
  }

  equals(other: StreamPartitions): boolean {
    return JSON.stringify(other) === JSON.stringify(this);
  }
}

function countAt(counts: readonly PartitionCount[], at: number): number {
  return counts.findLast((count) => count.since <= at)!.partitions;
}

function upTo(partitions: number): number[] {
  return Array.from({ length: partitions }, (_, partition) => partition);
}

/** The first count holds from the start, and each later one starts later and is a multiple of the one before. */
function checkCounts(counts: readonly PartitionCount[], what: 'stream' | 'view'): void {
  if (counts.length === 0 || counts[0]!.since !== 0)
    throw new InvalidPartitionLayoutError(`the first ${what} count must hold from the start`);
  counts.forEach((count, i) => {
    checkCount(count.partitions);
    const before = counts[i - 1];
    if (!before) return;
    if (count.since <= before.since) throw new InvalidPartitionLayoutError(`each ${what} count must start after the one before`);
    if (count.partitions <= before.partitions || count.partitions % before.partitions !== 0) {
      throw new InvalidPartitionLayoutError(
        `${count.partitions} ${what} partitions do not grow ${before.partitions}: the new count must be a multiple`,
      );
    }
  });
}

function checkCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new InvalidPartitionLayoutError(`a partition count must be a whole number from 1 to ${MAX_PARTITIONS}, not ${partitions}`);
  }
}

export class InvalidPartitionLayoutError extends EventloomError {
  readonly code = 'PARTITIONS.INVALID_LAYOUT';
  constructor(reason: string) {
    super(`Invalid partition layout: ${reason}.`);
  }
}
