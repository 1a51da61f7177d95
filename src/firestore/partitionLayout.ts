/**
 * A deployment's partition layout (src/firestore/partitions.ts), stored in `maintenance/streamPartitions`:
 * the stream partition counts and the view partition counts, each with the time it took or takes effect. A store
 * without the document has the layout every store had before it: 16 and 16.
 *
 * A growth is announced at least MIN_GROWTH_NOTICE_MS ahead, and every process appends by a layout it read (or
 * heard of) less than LAYOUT_MAX_AGE_MS ago, which is shorter: so whatever appends after a switch knows of it.
 * The API listens to the document (`watchStreamPartitions`), which keeps its layout current for free while the
 * listener is healthy; any other process (the payment workflow's function, which appends too, projectors, tools)
 * reads it again when what it knows is older than that, one read per process and LAYOUT_MAX_AGE_MS at most. Each
 * reading is judged against the one before (`adopt`): an older reading, an invalid document, or one with fewer
 * partitions (deleted by mistake, say: readers would stop seeing the events in the others) never replaces it.
 * Changes: src/firestore/partitionLayoutChanges.ts.
 */
import { type DocumentSnapshot, type Firestore, Timestamp } from '@google-cloud/firestore';
import { createLogger, type Logger } from '../logger.ts';
import { StreamPartitions } from './partitions.ts';

export const PARTITION_LAYOUT = { collection: 'maintenance', document: 'streamPartitions' } as const;

/** How soon a growth may take effect after it is announced: every process learns of it before then. */
export const MIN_GROWTH_NOTICE_MS = 60_000;

/** The oldest reading of the layout a process appends or reads by, without a healthy listener: well within the notice. */
export const LAYOUT_MAX_AGE_MS = 20_000;

interface Known {
  /** The layout adopted last, and the read time of the reading it came from; null until the first reading. */
  adopted: { readonly layout: StreamPartitions; readonly readTime: Timestamp } | null;
  /** What callers wait for: the reading in flight, or the layout adopted. */
  current: Promise<StreamPartitions>;
  /** When `current`'s reading was asked for (epoch ms); 0: read again at the next call. */
  askedAt: number;
  /** A listener keeps the layout current (watchStreamPartitions), so no reading needs asking for. */
  watched: boolean;
  logger: Logger;
  /** Told of every layout adopted that differs from the one before. */
  readonly listeners: Set<(layout: StreamPartitions) => void>;
}

const known = new WeakMap<Firestore, Known>();

function knownOf(db: Firestore): Known {
  let entry = known.get(db);
  if (!entry) {
    entry = {
      adopted: null,
      current: Promise.resolve(StreamPartitions.DEFAULT),
      askedAt: 0,
      watched: false,
      logger: createLogger({ name: 'partition-layout' }),
      listeners: new Set(),
    };
    known.set(db, entry);
  }
  return entry;
}

/** Forgets what this process knows of the layout for this client: its next call reads the document again. */
export function forgetStreamPartitions(db: Firestore): void {
  known.delete(db);
}

export function layoutRef(db: Firestore) {
  return db.collection(PARTITION_LAYOUT.collection).doc(PARTITION_LAYOUT.document);
}

export function layoutOf(snapshot: DocumentSnapshot): StreamPartitions {
  if (!snapshot.exists) return StreamPartitions.DEFAULT;
  const countsOf = (stored: StoredCount[]) => stored.map((count) => ({ partitions: count.partitions, since: count.since.toMillis() }));
  // A layout stored before view partitions could grow has the one view count as a number.
  const viewCounts = snapshot.get('viewCounts') as StoredCount[] | undefined;
  return new StreamPartitions(
    countsOf(snapshot.get('counts') as StoredCount[]),
    viewCounts ? countsOf(viewCounts) : [{ partitions: snapshot.get('viewPartitions') as number, since: 0 }],
  );
}

interface StoredCount {
  partitions: number;
  since: Timestamp;
}

export function documentOf(layout: StreamPartitions) {
  const stored = (counts: StreamPartitions['counts']) =>
    counts.map((count) => ({ partitions: count.partitions, since: Timestamp.fromMillis(count.since) }));
  return {
    counts: stored(layout.counts),
    viewCounts: stored(layout.viewCounts),
    // For a process of a version that read only this: the count every view partition any count uses.
    viewPartitions: layout.allViewPartitions().length,
    updatedAt: Timestamp.now(),
  };
}

/**
 * The layout to go by after `snapshot`: its own, unless it is older than the one adopted, invalid, or has fewer
 * partitions; then the one adopted stays (an invalid first reading throws: nothing better is known).
 */
function adopt(entry: Known, snapshot: DocumentSnapshot): StreamPartitions {
  const before = entry.adopted;
  if (before && snapshot.readTime.valueOf() < before.readTime.valueOf()) return before.layout;
  let layout: StreamPartitions;
  try {
    layout = layoutOf(snapshot);
  } catch (error) {
    if (!before) throw error;
    entry.logger.error({ err: error }, 'the stored partition layout is invalid; keeping the one known');
    return before.layout;
  }
  if (before && hasFewerPartitions(layout, before.layout)) {
    entry.logger.error(
      {
        known: { streams: before.layout.all().length, views: before.layout.allViewPartitions().length },
        stored: { streams: layout.all().length, views: layout.allViewPartitions().length },
      },
      'the stored partition layout has fewer partitions than this process knows; keeping the one known',
    );
    return before.layout;
  }
  entry.adopted = { layout, readTime: snapshot.readTime };
  if (before && !before.layout.equals(layout)) {
    entry.logger.info({ counts: readable(layout.counts), viewCounts: readable(layout.viewCounts) }, 'partition layout changed');
    for (const listener of entry.listeners) listener(layout);
  }
  return layout;
}

function hasFewerPartitions(layout: StreamPartitions, than: StreamPartitions): boolean {
  return layout.all().length < than.all().length || layout.allViewPartitions().length < than.allViewPartitions().length;
}

function readable(counts: StreamPartitions['counts']) {
  return counts.map((count) => ({ partitions: count.partitions, since: new Date(count.since).toISOString() }));
}

/**
 * The store's partition layout, as this process knows it: read at the first call for this client, and again
 * when that reading is older than LAYOUT_MAX_AGE_MS and no healthy listener keeps it current. A failed reading
 * fails the call (and the next one reads again).
 */
export function streamPartitions(db: Firestore): Promise<StreamPartitions> {
  const entry = knownOf(db);
  if (!entry.watched && Date.now() - entry.askedAt >= LAYOUT_MAX_AGE_MS) {
    entry.askedAt = Date.now();
    const reading = layoutRef(db)
      .get()
      .then((snapshot) => adopt(entry, snapshot));
    reading.catch(() => {
      if (entry.current === reading) entry.askedAt = 0;
    });
    entry.current = reading;
  }
  return entry.current;
}

/** Calls `listener` with each new layout this process adopts; returns how to stop. */
export function onStreamPartitionsChanged(db: Firestore, listener: (layout: StreamPartitions) => void): () => void {
  const { listeners } = knownOf(db);
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Keeps this process's layout current: a listener on the layout document, whose readings this process adopts as
 * they come. Resolves with the layout once the listener answered; the returned function stops listening. A
 * failing listener is logged, and the process goes back to reading the document when what it knows grows old.
 */
export function watchStreamPartitions(db: Firestore, logger: Logger): Promise<{ layout: StreamPartitions; stop: () => void }> {
  const entry = knownOf(db);
  entry.logger = logger;
  return new Promise((resolve, reject) => {
    let first = true;
    const stop = layoutRef(db).onSnapshot(
      (snapshot) => {
        try {
          entry.current = Promise.resolve(adopt(entry, snapshot));
          entry.watched = true;
        } catch (error) {
          if (first) reject(error);
          first = false;
          return;
        }
        if (first) void entry.current.then((layout) => resolve({ layout, stop: stopWatching }));
        first = false;
      },
      (error) => {
        logger.error({ err: error }, 'partition layout listener failed; reading the layout when it grows old instead');
        entry.watched = false;
        entry.askedAt = 0;
        if (first) reject(error);
        first = false;
      },
    );
    const stopWatching = () => {
      stop();
      entry.watched = false;
      entry.askedAt = 0;
    };
  });
}
