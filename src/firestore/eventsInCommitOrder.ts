/**
 * The whole store in commit order, read as one ordered range per partition merged on read.
 *
 * A store-wide index ordered by `recordedAt` alone would take every append of the system into one
 * monotonically growing range, which production Firestore caps at about 500 writes/s. The index leads with
 * `partition` instead (see partitions.ts), so each partition is its own ordered range, and readers that need
 * the store-wide order (rebuild, replay, time travel over the whole store) merge them: each partition is read
 * page by page as the merge consumes it, so memory stays at one page per partition.
 *
 * The order is Firestore's own: `recordedAt`, then the document path. Events of one commit share their
 * `recordedAt`, and the path keeps one stream's versions in order; the same (recordedAt, path) pair is the
 * cursor a reader resumes from, in every partition at once.
 */
import { FieldPath, type Firestore, type Query, type QueryDocumentSnapshot, type Timestamp } from '@google-cloud/firestore';
import { EVENTS } from './firestoreEventStore.ts';
import { streamPartitions } from './partitionLayout.ts';

/** Where a reader stands in the store: the last event it has seen. */
export interface CommitPosition {
  readonly recordedAt: Timestamp;
  /** The event document's full path (`streams/{streamId}/events/{version}`). */
  readonly path: string;
}

export interface CommitOrderOptions {
  /** Start after this event (exclusive). Default: the beginning of the store. */
  readonly after?: CommitPosition | null;
  /** Stop at events committed at this instant (inclusive). Default: read to the end. */
  readonly until?: Timestamp;
  /** Documents read per partition per round trip. */
  readonly pageSize?: number;
}

export function positionOf(doc: QueryDocumentSnapshot): CommitPosition {
  return { recordedAt: doc.get('recordedAt') as Timestamp, path: doc.ref.path };
}

/** Yields every event document in commit order. */
export async function* eventsInCommitOrder(
  db: Firestore,
  options: CommitOrderOptions = {},
): AsyncGenerator<QueryDocumentSnapshot, void, undefined> {
  const pageSize = options.pageSize ?? 300;
  const partitions = (await streamPartitions(db)).all().map((partition) => new PartitionReader(db, partition, options, pageSize));
  await Promise.all(partitions.map((reader) => reader.fill()));
  for (;;) {
    let next: PartitionReader | null = null;
    for (const reader of partitions) {
      const head = reader.head();
      if (head && (!next || compareCommitOrder(positionOf(head), positionOf(next.head()!)) < 0)) next = reader;
    }
    if (!next) return;
    yield next.take();
    await next.fill();
  }
}

/** Firestore's order of events: commit time, then document path compared segment by segment. */
export function compareCommitOrder(a: CommitPosition, b: CommitPosition): number {
  const byTime = a.recordedAt.toMillis() - b.recordedAt.toMillis() || a.recordedAt.nanoseconds - b.recordedAt.nanoseconds;
  return byTime !== 0 ? Math.sign(byTime) : comparePaths(a.path, b.path);
}

function comparePaths(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = Buffer.compare(Buffer.from(left[i]!), Buffer.from(right[i]!));
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

/** One partition's ordered range, fetched a page at a time. */
class PartitionReader {
  private buffer: QueryDocumentSnapshot[] = [];
  private cursor: CommitPosition | null;
  private exhausted = false;

  constructor(
    private readonly db: Firestore,
    private readonly partition: number,
    private readonly options: CommitOrderOptions,
    private readonly pageSize: number,
  ) {
    this.cursor = options.after ?? null;
  }

  head(): QueryDocumentSnapshot | undefined {
    return this.buffer[0];
  }

  take(): QueryDocumentSnapshot {
    return this.buffer.shift()!;
  }

  /** Fetches the next page once the buffered one is used up. */
  async fill(): Promise<void> {
    if (this.buffer.length > 0 || this.exhausted) return;
    let query: Query = this.db.collectionGroup(EVENTS).where('partition', '==', this.partition);
    if (this.options.until) query = query.where('recordedAt', '<=', this.options.until);
    query = query.orderBy('recordedAt').orderBy(FieldPath.documentId()).limit(this.pageSize);
    if (this.cursor) query = query.startAfter(this.cursor.recordedAt, this.db.doc(this.cursor.path));
    const { docs } = await query.get();
    this.buffer = docs;
    this.exhausted = docs.length < this.pageSize;
    if (docs.length > 0) this.cursor = positionOf(docs.at(-1)!);
  }
}
