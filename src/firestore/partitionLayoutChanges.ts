/**
 * Changing a deployment's partition layout (src/firestore/partitionLayout.ts), for `npm run partitions`: lay out
 * a store that holds no event yet, or announce a growth of its stream or view partitions.
 */
import type { Firestore } from '@google-cloud/firestore';
import { EventloomError } from '../core/errors.ts';
import { EVENTS } from './firestoreEventStore.ts';
import { documentOf, forgetStreamPartitions, layoutOf, layoutRef, MIN_GROWTH_NOTICE_MS } from './partitionLayout.ts';
import { StreamPartitions } from './partitions.ts';

/**
 * Announces that appends hash over `partitions` from `noticeMs` from now on (the new count's `since`).
 * `partitions` must be a multiple of the latest count, and the notice at least `minNoticeMs` (for tests,
 * shorter); one growth at a time.
 */
export function growStreamPartitions(db: Firestore, partitions: number, notice: GrowthNotice): Promise<StreamPartitions> {
  return announceGrowth(db, 'stream', partitions, notice);
}

/**
 * Announces that views are written to `partitions` view partitions from `noticeMs` from now on: the same rules.
 * Every API instance adds the new partitions' listeners to its ordered live queries when it hears of it.
 */
export function growViewPartitions(db: Firestore, partitions: number, notice: GrowthNotice): Promise<StreamPartitions> {
  return announceGrowth(db, 'view', partitions, notice);
}

export interface GrowthNotice {
  readonly noticeMs: number;
  readonly minNoticeMs?: number;
}

async function announceGrowth(
  db: Firestore,
  what: 'stream' | 'view',
  partitions: number,
  { noticeMs, minNoticeMs = MIN_GROWTH_NOTICE_MS }: GrowthNotice,
): Promise<StreamPartitions> {
  if (noticeMs < minNoticeMs) {
    throw new PartitionLayoutChangeRefusedError(`a growth needs ${minNoticeMs / 1000} s of notice, so every instance hears of it first`);
  }
  return db.runTransaction(async (tx) => {
    const current = layoutOf(await tx.get(layoutRef(db)));
    const now = Date.now();
    const latest = (what === 'stream' ? current.counts : current.viewCounts).at(-1)!;
    if (latest.since > now) {
      throw new PartitionLayoutChangeRefusedError(
        `a growth to ${latest.partitions} ${what} partitions is already announced for ${new Date(latest.since).toISOString()}`,
      );
    }
    const since = now + noticeMs;
    const grown = what === 'stream' ? current.grownTo(partitions, since) : current.viewsGrownTo(partitions, since);
    tx.set(layoutRef(db), documentOf(grown));
    return grown;
  });
}

/**
 * Lays out a store that holds no event yet: `partitions` stream partitions and `viewPartitions` view partitions
 * from the start. A store with events grows instead (growStreamPartitions).
 */
export async function layOutStreamPartitions(db: Firestore, partitions: number, viewPartitions = partitions): Promise<StreamPartitions> {
  const layout = new StreamPartitions([{ partitions, since: 0 }], [{ partitions: viewPartitions, since: 0 }]);
  await db.runTransaction(async (tx) => {
    const events = await tx.get(db.collectionGroup(EVENTS).limit(1));
    if (!events.empty) throw new PartitionLayoutChangeRefusedError('the store holds events already; grow its stream partitions instead');
    tx.set(layoutRef(db), documentOf(layout));
  });
  forgetStreamPartitions(db);
  return layout;
}

export class PartitionLayoutChangeRefusedError extends EventloomError {
  readonly code = 'PARTITIONS.CHANGE_REFUSED';
  constructor(reason: string) {
    super(`Partition layout not changed: ${reason}.`);
  }
}
