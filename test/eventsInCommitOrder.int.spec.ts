import { FieldPath, type Firestore, Timestamp } from '@google-cloud/firestore';
import { afterEach, describe, expect, it } from 'vitest';
import { eventsInCommitOrder, positionOf } from '../src/firestore/eventsInCommitOrder.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { StreamPartitions } from '../src/firestore/partitions.ts';
import { committer, stamped } from './support/commits.ts';
import { testFirestore } from './support/firestore.ts';
import { customerRegistered } from './support/shopFixtures.ts';

const databases: Firestore[] = [];
afterEach(async () => {
  for (const db of databases.splice(0)) await db.terminate();
});

async function readAll(db: Firestore, options: Parameters<typeof eventsInCommitOrder>[1] = {}) {
  const paths: string[] = [];
  for await (const doc of eventsInCommitOrder(db, options)) paths.push(doc.ref.path);
  return paths;
}

describe('the store in commit order, merged across partitions', () => {
  it('yields every event once, in commit order, with each stream in version order, across page boundaries', async () => {
    const db = testFirestore();
    databases.push(db);
    const commit = committer(new FirestoreEventStore(db));
    // Streams in many partitions, interleaved commits, several events per stream.
    const streams = Array.from({ length: 12 }, (_, i) => `customer-merge-${i}`);
    expect(new Set(streams.map((id) => StreamPartitions.DEFAULT.partitionOf(id))).size).toBeGreaterThan(4);
    const committed: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const streamId of streams) {
        const [event] = await commit(streamId, [customerRegistered(streamId)]);
        committed.push(`streams/${streamId}/events/${String(event!.version).padStart(10, '0')}`);
      }
    }

    // Commits were sequential, so commit order is the order they were made in.
    expect(await readAll(db, { pageSize: 2 })).toEqual(committed);
    expect(await readAll(db)).toEqual(committed);
  });

  it('orders the streams of one commit (one commit time) as Firestore orders their paths', async () => {
    const db = testFirestore();
    databases.push(db);
    const store = new FirestoreEventStore(db);
    // Ids where comparing whole paths as strings and comparing them segment by segment disagree.
    const streams = ['customer-ab', 'customer-ab-c', 'customer-ab.c', 'customer-a', 'customer-b'];
    await store.appendToStreams(
      streams.map((streamId) => ({
        streamId,
        expectedVersion: 0,
        events: stamped([customerRegistered(streamId), customerRegistered(streamId)]),
      })),
    );

    // The oracle: one unsharded range, which the emulator can still serve.
    const unsharded = await db.collectionGroup('events').orderBy('recordedAt').orderBy(FieldPath.documentId()).get();
    expect(await readAll(db, { pageSize: 1 })).toEqual(unsharded.docs.map((d) => d.ref.path));
  });

  it('resumes after a position and stops at an instant', async () => {
    const db = testFirestore();
    databases.push(db);
    const commit = committer(new FirestoreEventStore(db));
    for (let i = 0; i < 6; i++) await commit(`customer-resume-${i}`, [customerRegistered(`resume-${i}`)]);
    const all: string[] = [];
    const docs = [];
    for await (const doc of eventsInCommitOrder(db, { pageSize: 2 })) {
      all.push(doc.ref.path);
      docs.push(doc);
    }

    expect(await readAll(db, { after: positionOf(docs[2]!), pageSize: 2 })).toEqual(all.slice(3));
    const fourth = docs[3]!.get('recordedAt') as Timestamp;
    expect(await readAll(db, { until: fourth })).toEqual(all.slice(0, 4));
    expect(await readAll(db, { until: Timestamp.fromMillis(0) })).toEqual([]);
  });
});
