/**
 * Streams are spread over a fixed number of partitions by a hash of their id. Every event document
 * records its stream's partition, and every store-wide index that orders by a timestamp puts the
 * partition first: Firestore takes only about 500 writes/s into an index range where a field grows
 * monotonically ("sharded timestamps" in its documentation), so a store-wide order is read as
 * STREAM_PARTITIONS ordered ranges merged on read. The outbox relays claim partitions too, so each
 * stream's events are published by one relay, in order.
 *
 * The count is part of the stored layout: changing it means re-partitioning every event.
 */
import { createHash } from 'node:crypto';

export const STREAM_PARTITIONS = 16;

/** The partition of a stream: stable across processes, releases and languages (first 4 bytes of SHA-256). */
export function partitionOf(streamId: string): number {
  return createHash('sha256').update(streamId).digest().readUInt32BE(0) % STREAM_PARTITIONS;
}

/** Every partition number, for readers that merge all of them. */
export function allPartitions(): number[] {
  return Array.from({ length: STREAM_PARTITIONS }, (_, partition) => partition);
}
