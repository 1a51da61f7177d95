/**
 * Gives events written before the store recorded partitions their `partition` field, so the partition-led
 * indexes (eventsInCommitOrder, the newest event for projection lag) see them; and, with `of: 'checkpoints'`,
 * the projections' checkpoints written before they recorded theirs (the newest applied event, per partition).
 *
 * It walks every event document in document-name order, a page at a time, and writes `partition` where it is
 * missing: the partition of the store's first count (such events predate any growth), or the current one for a
 * checkpoint. Partitions already written stay as they are: after a growth many differ from the current count's,
 * as they should. After each page it saves where it stands in one document, so an interrupted run (Ctrl-C, a
 * crash, a deploy) resumes from there; a page read twice finds its partitions written and writes nothing again.
 * Writes go through a BulkWriter, which ramps up by Firestore's 500/50/5 rule and retries what the backend pushes
 * back on.
 */
import { FieldPath, type Firestore, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import { EventloomError } from '../core/errors.ts';
import { EVENTS } from './firestoreEventStore.ts';
import { CHECKPOINTS } from './readModelLayout.ts';
import { streamPartitions } from './partitionLayout.ts';

/** Where the backfill keeps its progress. */
export const PARTITION_BACKFILL = { collection: 'maintenance', document: 'partitionBackfill' } as const;

/** What a backfill walks: a collection group, where each document's stream id is, and where its progress is kept. */
const WALKS = {
  // Event documents live at `streams/{streamId}/events/{version}`.
  events: {
    collectionGroup: EVENTS,
    streamIdOf: (doc: QueryDocumentSnapshot) => doc.ref.parent.parent!.id,
    state: PARTITION_BACKFILL.document,
  },
  // Checkpoints live at `readModels/{target}/checkpoints/{streamId}` (`projections/{target}/checkpoints` before).
  checkpoints: { collectionGroup: CHECKPOINTS, streamIdOf: (doc: QueryDocumentSnapshot) => doc.id, state: 'checkpointPartitionBackfill' },
} as const;
export type PartitionBackfillOf = keyof typeof WALKS;

export interface PartitionBackfillOptions {
  /** The event documents (default), or the projections' checkpoints. */
  readonly of?: PartitionBackfillOf;
  /** Event documents read per page (and saved progress per page). */
  readonly pageSize?: number;
  /** Forget a previous run's progress and walk the store again from the start. */
  readonly restart?: boolean;
  /** Stops after the page in flight: the next run resumes from there. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly scanned: number; readonly updated: number; readonly total: number }) => void;
}

export interface PartitionBackfillResult {
  /** Every event document has been looked at (false: stopped by the signal; run again to resume). */
  readonly completed: boolean;
  /** Event documents looked at, over every run since the last start from scratch. */
  readonly scanned: number;
  /** Of those, how many were given their partition. */
  readonly updated: number;
}

interface BackfillState {
  readonly cursor: string | null;
  readonly scanned: number;
  readonly updated: number;
  readonly completed: boolean;
}

export async function backfillPartitions(db: Firestore, options: PartitionBackfillOptions = {}): Promise<PartitionBackfillResult> {
  const pageSize = options.pageSize ?? 500;
  const walk = WALKS[options.of ?? 'events'];
  const stateRef = db.collection(PARTITION_BACKFILL.collection).doc(walk.state);
  const saved = options.restart ? undefined : ((await stateRef.get()).data() as BackfillState | undefined);
  let state: BackfillState = saved ?? { cursor: null, scanned: 0, updated: 0, completed: false };
  // Events appended since a finished run already carry their partition: nothing left to do.
  if (state.completed) return { completed: true, scanned: state.scanned, updated: state.updated };
  const layout = await streamPartitions(db);
  const at = options.of === 'checkpoints' ? Date.now() : 0;

  // An aggregation query: the total for the progress bar without reading the documents.
  const total = (await db.collectionGroup(walk.collectionGroup).count().get()).data().count;
  options.onProgress?.({ scanned: state.scanned, updated: state.updated, total });
  const writer = db.bulkWriter();
  try {
    for (;;) {
      if (options.signal?.aborted) return { completed: false, scanned: state.scanned, updated: state.updated };
      // Document-name order needs no index of ours, and the name is a cursor that stays valid across runs.
      let query = db.collectionGroup(walk.collectionGroup).orderBy(FieldPath.documentId()).select('partition').limit(pageSize);
      if (state.cursor) query = query.startAfter(db.doc(state.cursor));
      const { docs } = await query.get();
      const writes: Array<Promise<unknown>> = [];
      for (const doc of docs) {
        if (doc.get('partition') !== undefined) continue;
        writes.push(writer.update(doc.ref, { partition: layout.partitionOf(walk.streamIdOf(doc), at) }));
      }
      // Progress is saved only once every write of the page is durable, so a resumed run never skips one.
      // flush() sends what BulkWriter still holds, but does not say whether a write finally failed (after
      // its retries): each write's own promise does.
      const settled = Promise.allSettled(writes);
      await writer.flush();
      const failed = (await settled).find((write) => write.status === 'rejected');
      if (failed) throw new PartitionBackfillError(state.cursor, failed.reason);
      const updated = writes.length;
      const completed = docs.length < pageSize;
      state = {
        cursor: docs.at(-1)?.ref.path ?? state.cursor,
        scanned: state.scanned + docs.length,
        updated: state.updated + updated,
        completed,
      };
      await stateRef.set({ ...state, updatedAt: new Date() });
      options.onProgress?.({ scanned: state.scanned, updated: state.updated, total: Math.max(total, state.scanned) });
      if (completed) return { completed: true, scanned: state.scanned, updated: state.updated };
    }
  } finally {
    await writer.close();
  }
}

export class PartitionBackfillError extends EventloomError {
  readonly code = 'BACKFILL.WRITE_FAILED';
  constructor(resumesAfter: string | null, cause: unknown) {
    super(`A document could not be given its partition; the next run resumes after ${resumesAfter ?? 'the start'}.`, { cause });
  }
}
