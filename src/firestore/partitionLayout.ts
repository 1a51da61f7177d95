/**
 * A deployment's partition layout (src/firestore/partitions.ts), stored in `maintenance/streamPartitions`:
 * the stream partition counts, each with the time it took or takes effect, and the view partitions. A store
 * without the document has the layout every store had before it: 16 and 16.
 *
 * Each process reads the layout once per Firestore client, at its first append or merged read. The API also
 * listens to the document (`watchStreamPartitions`), so an announced growth reaches its writers, readers and
 * relays while it runs; `npm run partitions` announces one far enough ahead for every instance to hear of it.
 * Projectors and tools read it once: what they write with a stale layout (a checkpoint's or a deadline's
 * partition) is still among the partitions every reader merges. Changes: src/firestore/partitionLayoutChanges.ts.
 */
import { type DocumentSnapshot, type Firestore, Timestamp } from '@google-cloud/firestore';
import type { Logger } from '../logger.ts';
import { StreamPartitions } from './partitions.ts';

export const PARTITION_LAYOUT = { collection: 'maintenance', document: 'streamPartitions' } as const;

interface Known {
  /** The layout as last read (or heard of); resolves once the first read is done. */
  current: Promise<StreamPartitions>;
  /** Told of every change the watch hears of. */
  readonly listeners: Set<(layout: StreamPartitions) => void>;
}

const known = new WeakMap<Firestore, Known>();

/** Forgets what this process knows of the layout for this client: its next read reads the document again. */
export function forgetStreamPartitions(db: Firestore): void {
  known.delete(db);
}

function knownOf(db: Firestore): Known {
  let entry = known.get(db);
  if (!entry) {
    const current = readLayout(db);
    entry = { current, listeners: new Set() };
    known.set(db, entry);
    // A failed first read is tried again by the next caller.
    current.catch(() => {
      if (known.get(db)?.current === current) known.delete(db);
    });
  }
  return entry;
}

export function layoutRef(db: Firestore) {
  return db.collection(PARTITION_LAYOUT.collection).doc(PARTITION_LAYOUT.document);
}

async function readLayout(db: Firestore): Promise<StreamPartitions> {
  return layoutOf(await layoutRef(db).get());
}

export function layoutOf(snapshot: DocumentSnapshot): StreamPartitions {
  if (!snapshot.exists) return StreamPartitions.DEFAULT;
  const counts = snapshot.get('counts') as Array<{ partitions: number; since: Timestamp }>;
  return new StreamPartitions(
    counts.map((count) => ({ partitions: count.partitions, since: count.since.toMillis() })),
    snapshot.get('viewPartitions') as number,
  );
}

export function documentOf(layout: StreamPartitions) {
  return {
    counts: layout.counts.map((count) => ({ partitions: count.partitions, since: Timestamp.fromMillis(count.since) })),
    viewPartitions: layout.viewPartitions,
    updatedAt: Timestamp.now(),
  };
}

/** The store's partition layout, as this process knows it: read at the first call for this client. */
export function streamPartitions(db: Firestore): Promise<StreamPartitions> {
  return knownOf(db).current;
}

/** Calls `listener` with each new layout the watch hears of; returns how to stop. */
export function onStreamPartitionsChanged(db: Firestore, listener: (layout: StreamPartitions) => void): () => void {
  const { listeners } = knownOf(db);
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Keeps this process's layout current: a listener on the layout document. Resolves with the layout once the
 * listener answered; the returned function stops listening. A failing listener is logged and the layout known
 * so far stays in use (the next growth waits for a restart), as it does when the document turns invalid or
 * loses partitions (deleted, say): readers would stop seeing the events stored in those.
 */
export function watchStreamPartitions(db: Firestore, logger: Logger): Promise<{ layout: StreamPartitions; stop: () => void }> {
  const entry = knownOf(db);
  /** The layout to use once the document reads `snapshot`, given the one known before (null: none yet). */
  const adopt = (known: StreamPartitions | null, snapshot: DocumentSnapshot): StreamPartitions => {
    let layout: StreamPartitions;
    try {
      layout = layoutOf(snapshot);
    } catch (error) {
      if (!known) throw error;
      logger.error({ err: error }, 'the stored partition layout is invalid; keeping the one known');
      return known;
    }
    if (known && layout.all().length < known.all().length) {
      logger.error(
        { known: known.all().length, stored: layout.all().length },
        'the stored partition layout has fewer partitions than this process knows; keeping the one known',
      );
      return known;
    }
    if (known && !known.equals(layout)) {
      logger.info(
        { counts: layout.counts.map((c) => ({ partitions: c.partitions, since: new Date(c.since).toISOString() })) },
        'stream partition layout changed',
      );
      for (const listener of entry.listeners) listener(layout);
    }
    return layout;
  };
  return new Promise((resolve, reject) => {
    let first = true;
    const stop = layoutRef(db).onSnapshot(
      (snapshot) => {
        // In the order heard: each snapshot is judged against the layout the one before left.
        entry.current = entry.current.catch(() => null).then((known) => adopt(known, snapshot));
        if (first) entry.current.then((layout) => resolve({ layout, stop }), reject);
        first = false;
      },
      (error) => {
        logger.error({ err: error }, 'partition layout listener failed; keeping the layout known so far');
        if (first) reject(error);
        first = false;
      },
    );
  });
}
