/**
 * Where the read models live. Each target of a read model (`orderDetails-v1`, or a rebuilt generation such as
 * `orderDetails-v1-g2`) is the document `readModels/{target}`, never written itself: the parent of the target's
 * views, its checkpoints and, for a rolled-up view, its view parts (src/firestore/viewRollUp.ts). A replay's
 * target is deleted in one recursive delete of that document.
 *
 * Ordered live queries (the newest orders, the soonest payment deadlines) order by a field that grows with
 * time. Firestore takes about 500 writes/s into an index range on such a field ("sharded timestamps" in its
 * documentation), so every view is stored with the partition of its id (`_partition`), every index that orders
 * views puts it first (firestore.indexes.json), and such a query is read as one query per partition, merged
 * (src/firestore/firestoreReadModels.ts).
 */
import type { CollectionReference, DocumentReference, Firestore } from '@google-cloud/firestore';
import type { StreamPartitions } from './partitions.ts';

/** Every target of every read model: `readModels/{target}`, the parent of its views and its checkpoints. */
export const READ_MODELS = 'readModels';
/**
 * A target's views. The collection id is the same for every projection, version and generation, so
 * firestore.indexes.json declares the read models' indexes and exempts their growing fields once for all,
 * rebuilt generations included.
 */
export const VIEWS = 'views';
/** Under each target: one checkpoint per stream. */
export const CHECKPOINTS = 'checkpoints';

/** Stored beside every view, and taken off again by every reader (src/firestore/viewTrace.ts). */
export const VIEW_PARTITION_FIELD = '_partition';

/** The document to store for a view: the view, with the partition of its id beside it. */
export function storedView(layout: StreamPartitions, id: string, view: object): object {
  return { ...view, [VIEW_PARTITION_FIELD]: layout.viewPartitionOf(id) };
}

/** Where a target keeps its views and its checkpoints. */
export function targetRef(db: Firestore, target: string): DocumentReference {
  return db.collection(READ_MODELS).doc(target);
}

/** The views of a target. */
export function viewsOf(db: Firestore, target: string): CollectionReference {
  return targetRef(db, target).collection(VIEWS);
}

/** The checkpoints of a target: the last version applied of each stream. */
export function checkpointsOf(db: Firestore, target: string): CollectionReference {
  return targetRef(db, target).collection(CHECKPOINTS);
}
