/**
 * (e) What a snapshot saves when loading a long product stream.
 *
 * One product stream of `events` events (a ProductAdded, then ProductRestocked events, each at its type's
 * current schema version) is written straight in the store's document layout with WriteBatches (through the
 * event store it would take minutes and measure appends, not loads), and a snapshot of its state at
 * `snapshotAt` is saved with the snapshot store. Then `loadAggregate`, as runCommand calls it, loads the
 * stream over and over:
 *  - whole: without a snapshot store, folding every event from version 1;
 *  - from the snapshot: the snapshot document, then the events after it (the tail);
 * each through the event store as the API wires it (VersionedEventStore: every event read is validated and
 * upcast) and through the bare Firestore adapter, which shows what the upcasting costs. A reference: a
 * product stream only as long as the tail, loaded whole, which is what the snapshot path would cost if the
 * tail query did not depend on the length of the stream (on real Firestore a query costs what it returns;
 * the emulator appears to scan). The kinds take turns in a rotating order, and the first load of each is
 * thrown away (cold query paths). Every load of the long stream must end in the same state at the same
 * version, or the figures mean nothing: the result says whether they did.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { FieldValue, type Firestore } from '@google-cloud/firestore';
import { evolveProduct, initialProduct, PRODUCT_SNAPSHOTS, type Product } from '../src/catalog/product.ts';
import { productDecider } from '../src/catalog/productDecider.ts';
import { productStreamId, type ProductAdded, type ProductEvent, type ProductRestocked } from '../src/catalog/productEvents.ts';
import type { EventEnvelope, EventStore } from '../src/core/eventStore.ts';
import { loadAggregate, type LoadedAggregate } from '../src/core/snapshots.ts';
import { VersionedEventStore } from '../src/core/versionedEventStore.ts';
import { eventDocumentId, EVENTS, FirestoreEventStore, STREAMS } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreSnapshotStore } from '../src/firestore/firestoreSnapshotStore.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { startPhase } from './progress.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';

export interface SnapshotLoadPlan {
  /** Length of the product stream. */
  readonly events: number;
  /** The version the snapshot is taken at; the tail is the rest. */
  readonly snapshotAt: number;
  /** Measured loads of each kind (after one thrown away). */
  readonly loads: number;
}

export const STORES = ['versioned', 'raw'] as const;
/** As the API reads (VersionedEventStore over Firestore), or the bare Firestore adapter. */
export type StoreKind = (typeof STORES)[number];

export interface SnapshotLoadResult {
  readonly events: number;
  readonly snapshotAt: number;
  /** Writing the long stream with raw batches, for scale. */
  readonly writeMs: number;
  readonly loads: Readonly<Record<StoreKind, { readonly whole: LatencySummary; readonly fromSnapshot: LatencySummary }>>;
  /** A stream as long as the tail, read whole through the versioned store. */
  readonly shortStream: LatencySummary;
  /** Every load of the long stream, of every kind, ended at the same state and version. */
  readonly sameState: boolean;
}

/** Firestore's limit on writes per batch. */
const BATCH_SIZE = 500;
/** Batches in flight while writing the stream. */
const WRITERS = 4;

interface LoadKind {
  readonly load: () => Promise<LoadedAggregate<Product>>;
  readonly samples: number[];
  /** Checks a load's result; false makes the whole result suspect. */
  readonly check: (loaded: LoadedAggregate<Product>) => boolean;
}

export async function measureSnapshotLoading(db: Firestore, plan: SnapshotLoadPlan): Promise<SnapshotLoadResult> {
  const raw = new FirestoreEventStore(db);
  const stores: Record<StoreKind, EventStore> = { versioned: new VersionedEventStore(raw, shopEvents), raw };
  const snapshots = new FirestoreSnapshotStore(db);
  const run = randomUUID().slice(0, 8);
  const long = productStream(`bench-long-${run}`, plan.events);
  const short = productStream(`bench-short-${run}`, plan.events - plan.snapshotAt);

  const batches = Math.ceil(long.events.length / BATCH_SIZE) + Math.ceil(short.events.length / BATCH_SIZE);
  const writing = startPhase(`(e) writing a ${plan.events.toLocaleString('en-US')}-event product stream`, batches + 1);
  const writeStartedAt = performance.now();
  await writeStream(db, long.streamId, long.events, writing.tick);
  const writeMs = performance.now() - writeStartedAt;
  await writeStream(db, short.streamId, short.events, writing.tick);
  const stateAt = (events: readonly EventEnvelope[]) =>
    events.reduce<Product>((s, e) => evolveProduct(s, e as unknown as ProductEvent), initialProduct());
  await snapshots.save({
    streamId: long.streamId,
    version: plan.snapshotAt,
    stateVersion: PRODUCT_SNAPSHOTS.stateVersion,
    state: stateAt(long.events.slice(0, plan.snapshotAt)),
  });
  writing.tick();
  writing.end();

  const expected = stateAt(long.events);
  const kind = (store: EventStore, withSnapshots: boolean, streamId = long.streamId): LoadKind => ({
    load: () => loadAggregate(store, withSnapshots ? snapshots : undefined, streamId, productDecider),
    samples: [],
    check: (loaded) =>
      streamId !== long.streamId ||
      (loaded.version === plan.events &&
        loaded.snapshotVersion === (withSnapshots ? plan.snapshotAt : 0) &&
        isDeepStrictEqual(loaded.state, expected)),
  });
  const kinds = {
    versionedWhole: kind(stores.versioned, false),
    versionedSnapshot: kind(stores.versioned, true),
    rawWhole: kind(stores.raw, false),
    rawSnapshot: kind(stores.raw, true),
    short: kind(stores.versioned, false, short.streamId),
  };
  const all = Object.values(kinds);
  let sameState = true;
  const phase = startPhase('(e) loading it, whole and from the snapshot', all.length * (plan.loads + 1));
  for (let i = 0; i <= plan.loads; i++) {
    // Rotate the order, so no kind always runs right after the same other one.
    for (const { load, samples, check } of all.map((_, k) => all[(k + i) % all.length]!)) {
      const startedAt = performance.now();
      const loaded = await load();
      const ms = performance.now() - startedAt;
      if (i > 0) samples.push(ms);
      sameState &&= check(loaded);
      phase.tick();
    }
  }
  phase.end();
  return {
    events: plan.events,
    snapshotAt: plan.snapshotAt,
    writeMs,
    loads: {
      versioned: {
        whole: summarizeLatencies(kinds.versionedWhole.samples),
        fromSnapshot: summarizeLatencies(kinds.versionedSnapshot.samples),
      },
      raw: { whole: summarizeLatencies(kinds.rawWhole.samples), fromSnapshot: summarizeLatencies(kinds.rawSnapshot.samples) },
    },
    shortStream: summarizeLatencies(kinds.short.samples),
    sameState,
  };
}

/** Creates the events' documents exactly as FirestoreEventStore.appendToStreams writes them, a batch at a time. */
async function writeStream(db: Firestore, streamId: string, events: readonly EventEnvelope[], onBatch: () => void): Promise<void> {
  const eventsOf = db.collection(STREAMS).doc(streamId).collection(EVENTS);
  const batches = Math.ceil(events.length / BATCH_SIZE);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(WRITERS, batches) }, async () => {
      while (next < batches) {
        const slice = events.slice(next * BATCH_SIZE, ++next * BATCH_SIZE);
        const batch = db.batch();
        for (const envelope of slice) {
          batch.create(eventsOf.doc(eventDocumentId(envelope.version)), { ...envelope, recordedAt: FieldValue.serverTimestamp() });
        }
        await batch.commit();
        onBatch();
      }
    }),
  );
  const written = (await eventsOf.count().get()).data().count;
  if (written !== events.length) throw new Error(`wrote ${written} of ${events.length} events to ${streamId}`);
}

/**
 * A product added with no stock, then restocked a unit at a time: the shape of a long-lived product. Each
 * event is stamped with its type's current schema version, checked against that schema, as an append would.
 */
function productStream(productId: string, length: number): { streamId: string; events: EventEnvelope[] } {
  const streamId = productStreamId(productId);
  const occurredAt = new Date().toISOString();
  const added: ProductAdded['data'] = {
    productId,
    name: 'Long-lived product',
    price: { amountCents: 1000, currency: 'EUR' },
    initialStock: 0,
    lowStockThreshold: 5,
    // Stock in the product's own stream: the restocks below go there, as before stock buckets.
    stockBuckets: 0,
  };
  const restocked: ProductRestocked['data'] = { productId, quantity: 1 };
  const events = Array.from({ length }, (_, i): EventEnvelope => {
    const event = shopEvents.stamp({
      eventId: randomUUID(),
      type: i === 0 ? 'ProductAdded' : 'ProductRestocked',
      data: i === 0 ? added : restocked,
      occurredAt,
      metadata: { correlationId: randomUUID(), causationId: null, actor: null, command: i === 0 ? 'AddProduct' : 'RestockProduct' },
    });
    return { ...event, streamId, version: i + 1, schemaVersion: event.schemaVersion ?? 1 };
  });
  return { streamId, events };
}
