/**
 * The partition backfill on the Firestore emulator: events written before the store recorded partitions are
 * invisible to the partition-led store-wide reads (commit order, the newest event for projection lag) until
 * the backfill gives them their partition; it resumes where an interrupted run stopped; and the CLI shows progress.
 * The same for the projections' checkpoints, which projection status reads per partition.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FieldValue, type Firestore } from '@google-cloud/firestore';
import { afterEach, describe, expect, it } from 'vitest';
import { eventsInCommitOrder } from '../src/firestore/eventsInCommitOrder.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { latestEventAt, projectionStatus } from '../src/firestore/firestoreProjectionStatus.ts';
import { FirestoreProjector, readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { checkpointsOf } from '../src/firestore/readModelLayout.ts';
import { backfillPartitions, PARTITION_BACKFILL } from '../src/firestore/partitionBackfill.ts';
import { StreamPartitions } from '../src/firestore/partitions.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { append } from './support/commits.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { customerRegistered } from './support/shopFixtures.ts';

const databases: Firestore[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.terminate();
});

function freshDb(projectId = uniqueProjectId('backfill')): Firestore {
  const db = testFirestore(projectId);
  databases.push(db);
  return db;
}

/**
 * Ten streams with two events each, committed one after the other with growing `occurredAt`; then the last
 * `legacy` streams lose their `partition`, as events stored before the field existed lack it (so the newest
 * event of all is a legacy one). Returns every event path in commit order and the newest `occurredAt`.
 */
async function storeWithLegacyEvents(db: Firestore, legacy: number) {
  const store = new FirestoreEventStore(db);
  const streams = Array.from({ length: 10 }, (_, i) => `customer-legacy-${i}`);
  const paths: string[] = [];
  let newest = '';
  for (let version = 0; version < 2; version++) {
    for (const [i, streamId] of streams.entries()) {
      newest = new Date(Date.UTC(2026, 0, 1, 0, version, i)).toISOString();
      await append(store, streamId, version, [customerRegistered(streamId)], { occurredAt: newest });
      paths.push(`streams/${streamId}/events/${String(version + 1).padStart(10, '0')}`);
    }
  }
  const legacyPaths = paths.filter((path) => streams.slice(-legacy).some((streamId) => path.startsWith(`streams/${streamId}/`)));
  for (const path of legacyPaths) await db.doc(path).update({ partition: FieldValue.delete() });
  return { paths, newest, legacyPaths };
}

async function inCommitOrder(db: Firestore): Promise<string[]> {
  const paths: string[] = [];
  for await (const doc of eventsInCommitOrder(db, { pageSize: 4 })) paths.push(doc.ref.path);
  return paths;
}

describe('backfilling partitions', () => {
  it('makes events stored before partitions existed visible to commit order and the newest event, resuming after an interruption', async () => {
    const db = freshDb();
    const { paths, newest, legacyPaths } = await storeWithLegacyEvents(db, 3);

    // The layout the readers depend on: without the field, the legacy events are in no partition's range.
    expect(await inCommitOrder(db)).toEqual(paths.filter((path) => !legacyPaths.includes(path)));
    // The newest event with a partition: the second round's last stream that kept it.
    expect(await latestEventAt(db)).toBe(new Date(Date.UTC(2026, 0, 1, 0, 1, 6)).toISOString());

    // Interrupted after its first page: it saved where it stands and says it did not finish.
    const stop = new AbortController();
    const first = await backfillPartitions(db, {
      pageSize: 3,
      signal: stop.signal,
      onProgress: ({ scanned, total }) => {
        expect(total).toBe(paths.length);
        if (scanned > 0) stop.abort();
      },
    });
    expect(first).toMatchObject({ completed: false, scanned: 3 });
    const saved = (await db.collection(PARTITION_BACKFILL.collection).doc(PARTITION_BACKFILL.document).get()).data();
    expect(saved).toMatchObject({ completed: false, scanned: 3 });

    // The next run resumes there, not from the start: the counts add up to one pass over the store.
    const progress: number[] = [];
    const second = await backfillPartitions(db, { pageSize: 3, onProgress: ({ scanned }) => progress.push(scanned) });
    expect(second).toEqual({ completed: true, scanned: paths.length, updated: legacyPaths.length });
    expect(progress[0]).toBe(3);
    expect(progress.at(-1)).toBe(paths.length);

    for (const path of paths) {
      const streamId = path.split('/')[1]!;
      expect((await db.doc(path).get()).get('partition')).toBe(StreamPartitions.DEFAULT.partitionOf(streamId));
    }
    expect(await inCommitOrder(db)).toEqual(paths);
    expect(await latestEventAt(db)).toBe(newest);

    // Finished: a further run does nothing; --restart walks the store again and finds nothing to write.
    expect(await backfillPartitions(db)).toEqual(second);
    expect(await backfillPartitions(db, { restart: true, pageSize: 7 })).toEqual({ completed: true, scanned: paths.length, updated: 0 });
  });

  it('finishes at once on an empty store', async () => {
    expect(await backfillPartitions(freshDb())).toEqual({ completed: true, scanned: 0, updated: 0 });
  });
});

describe('backfilling the partitions of projection checkpoints', () => {
  it('makes checkpoints written before they recorded a partition count for the newest applied event, on its own progress', async () => {
    const db = freshDb();
    const store = new FirestoreEventStore(db);
    const projector = new FirestoreProjector(db, store);
    const projection = customerOrderHistoryProjection;
    const applied: string[] = [];
    for (let i = 0; i < 5; i++) {
      const occurredAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      const [event] = await append(store, `customer-old-${i}`, 0, [customerRegistered(`old-${i}`)], { occurredAt });
      await projector.apply(projection, event!);
      applied.push(occurredAt);
    }
    const checkpoints = await checkpointsOf(db, readModelCollectionName(projection)).get();
    expect(checkpoints.size).toBe(5);
    // As the projector left them before checkpoints recorded their partition.
    for (const checkpoint of checkpoints.docs) await checkpoint.ref.update({ partition: FieldValue.delete() });
    expect((await projectionStatus(db, projection)).lastAppliedEventAt).toBeNull();

    expect(await backfillPartitions(db, { of: 'checkpoints', pageSize: 2 })).toEqual({ completed: true, scanned: 5, updated: 5 });
    expect((await projectionStatus(db, projection)).lastAppliedEventAt).toBe(applied.at(-1));
    // The events' backfill keeps its own progress: it has not run.
    expect((await db.collection(PARTITION_BACKFILL.collection).doc(PARTITION_BACKFILL.document).get()).exists).toBe(false);
  });
});

describe('npm run backfill-partitions', () => {
  it('backfills with progress on stderr and the result on stdout', { timeout: 300_000 }, async () => {
    const projectId = uniqueProjectId('backfill-cli');
    const db = freshDb(projectId);
    const { paths, legacyPaths } = await storeWithLegacyEvents(db, 2);

    const { stdout, stderr } = await promisify(execFile)('npx', ['tsx', 'scripts/backfillPartitions.ts', '--page-size', '4'], {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: projectId, LOG_LEVEL: 'silent' },
      timeout: 240_000,
    });

    expect(JSON.parse(stdout)).toEqual({ completed: true, scanned: paths.length, updated: legacyPaths.length });
    // Not a terminal: one JSON line per step, in Cloud Logging's shape.
    const lines = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.at(-1)).toMatchObject({
      severity: 'INFO',
      component: 'backfill-partitions',
      done: paths.length,
      total: paths.length,
      updated: legacyPaths.length,
    });
    expect(await inCommitOrder(db)).toEqual(paths);
  });
});
