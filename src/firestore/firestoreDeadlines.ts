/**
 * Deadlines on Firestore: `deadlines/{id}` with `dueAt` as a Timestamp and the partition of its id first in
 * the index (`partition`, `dueAt`), so neither setting deadlines (dueAt grows with time) nor sweeping them
 * concentrates writes on one monotonically increasing index range. A sweep reads each partition's due
 * range and merges them.
 */
import { Timestamp, type Firestore, type Query, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { Deadline, DeadlineStore } from '../core/deadlines.ts';
import { streamPartitions } from './partitionLayout.ts';

export const DEADLINES = 'deadlines';

export class FirestoreDeadlines implements DeadlineStore {
  constructor(private readonly db: Firestore) {}

  async set(deadline: Deadline): Promise<void> {
    const layout = await streamPartitions(this.db);
    await this.db
      .collection(DEADLINES)
      .doc(deadline.id)
      .set({
        workflow: deadline.workflow,
        key: deadline.key,
        dueAt: Timestamp.fromDate(new Date(deadline.dueAt)),
        partition: layout.partitionOf(deadline.id),
      });
  }

  async remove(id: string): Promise<void> {
    await this.db.collection(DEADLINES).doc(id).delete();
  }

  async due(now: Date, limit: number): Promise<Deadline[]> {
    return this.earliest((query) => query.where('dueAt', '<=', Timestamp.fromDate(now)), limit);
  }

  async pending(workflow: string, limit: number): Promise<Deadline[]> {
    return this.earliest((query) => query.where('workflow', '==', workflow), limit);
  }

  /** The earliest `limit` deadlines matching `filter`: each partition's earliest, merged. */
  private async earliest(filter: (query: Query) => Query, limit: number): Promise<Deadline[]> {
    const layout = await streamPartitions(this.db);
    const pages = await Promise.all(
      layout.all().map((partition) =>
        filter(this.db.collection(DEADLINES).where('partition', '==', partition))
          .orderBy('dueAt')
          .limit(limit)
          .get(),
      ),
    );
    return pages
      .flatMap((page) => page.docs.map(toDeadline))
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt))
      .slice(0, limit);
  }
}

function toDeadline(doc: QueryDocumentSnapshot): Deadline {
  return {
    id: doc.id,
    workflow: doc.get('workflow') as string,
    key: doc.get('key') as string,
    dueAt: (doc.get('dueAt') as Timestamp).toDate().toISOString(),
  };
}
