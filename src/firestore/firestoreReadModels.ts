/**
 * Reads projection views for the API: point reads, batched reads, pages in document-id order, and
 * live streams driven by Firestore listeners, so every API instance sees every change whoever wrote it.
 *
 * Reads follow the registry (`projections/{name}.active`), re-read at most every couple of seconds, so
 * a rebuild's switch-over reaches every API instance within that. Live streams opened before a switch
 * stay on the target they started on.
 */
import { FieldPath, type DocumentSnapshot, type Firestore, type Query } from '@google-cloud/firestore';
import { Repeater } from 'graphql-yoga';
import type { AnyProjection } from '../core/projection.ts';
import { PROJECTIONS, readModelCollectionName } from './firestoreProjector.ts';

/** A view with its document id, which is what a page cursor points at. */
export interface ViewDocument<View> {
  readonly id: string;
  readonly view: View;
}

/**
 * Equality on top-level fields only. Together with the document-id order, an equality filter is
 * served by Firestore's automatic single-field indexes: no composite index to deploy.
 */
export type ViewFilter<View> = { readonly [K in keyof View]?: View[K] & (string | number | boolean | null) };

/**
 * Pages go forward only: a backward page needs a descending scan of document ids, which the
 * emulator refuses ("descending key scans") and production would serve from an extra index.
 */
export interface ListOptions<View> {
  /** Page size: at most this many views. */
  readonly first: number;
  /** Only views whose id sorts after this one (exclusive). */
  readonly after?: string | null;
  readonly where?: ViewFilter<View>;
}

export interface WatchQueryOptions<View> {
  readonly where: ViewFilter<View>;
}

/** One view entering, changing in, or leaving a live query's result. */
export interface ViewChange<View> {
  readonly type: 'added' | 'modified' | 'removed';
  readonly id: string;
  /** For `removed`, the view as it last matched the query: its current state may differ. */
  readonly view: View;
}

export class FirestoreReadModels {
  private activeTargets = new Map<string, string>();
  private registryReadAt = Number.NEGATIVE_INFINITY;
  private registryRead: Promise<void> | null = null;

  constructor(
    private readonly db: Firestore,
    /** How stale this instance's view of the registry may get: a switch-over reaches it within this. */
    private readonly registryMaxAgeMs = 2_000,
  ) {}

  /** Refreshes the active targets when they are older than registryMaxAgeMs: one query, shared by concurrent reads. */
  private followRegistry(): Promise<void> {
    if (performance.now() - this.registryReadAt < this.registryMaxAgeMs) return Promise.resolve();
    this.registryRead ??= this.db
      .collection(PROJECTIONS)
      .where('active', '>', '')
      .get()
      .then(
        (snapshot) => {
          this.activeTargets = new Map(snapshot.docs.map((doc) => [doc.id, doc.get('active') as string]));
          this.registryReadAt = performance.now();
        },
        // Without the registry, keep serving the targets known so far rather than fail every read.
        () => {},
      )
      .finally(() => {
        this.registryRead = null;
      });
    return this.registryRead;
  }

  private target(projection: AnyProjection): string {
    return this.activeTargets.get(projection.name) ?? readModelCollectionName(projection);
  }

  async get<View>(projection: AnyProjection<View>, id: string): Promise<View | null> {
    await this.followRegistry();
    return viewOf<View>(await this.ref(projection, id).get());
  }

  /** Reads several views in one round trip (one `getAll`), answering in the order of `ids`. */
  async getMany<View>(projection: AnyProjection<View>, ids: readonly string[]): Promise<Array<View | null>> {
    if (ids.length === 0) return [];
    await this.followRegistry();
    const snapshots = await this.db.getAll(...ids.map((id) => this.ref(projection, id)));
    return snapshots.map((snapshot) => viewOf<View>(snapshot));
  }

  /** A page of views in document-id order: stable, and cheap to resume from a cursor. */
  async list<View>(projection: AnyProjection<View>, options: ListOptions<View>): Promise<Array<ViewDocument<View>>> {
    await this.followRegistry();
    let query = this.filtered(projection, options.where).orderBy(FieldPath.documentId());
    if (options.after) query = query.startAfter(options.after);
    const snapshot = await query.limit(options.first).get();
    return snapshot.docs.map((doc) => ({ id: doc.id, view: doc.data() as View }));
  }

  /** Emits the view's current state (null while absent), then every change, until the consumer stops. */
  watch<View>(projection: AnyProjection<View>, id: string): AsyncIterable<View | null> {
    return new Repeater<View | null>(async (push, stop) => {
      await this.followRegistry();
      const ref = this.ref(projection, id);
      const unsubscribe = ref.onSnapshot(
        (snapshot) => void push(viewOf<View>(snapshot)),
        (error) => stop(error),
      );
      await stop;
      unsubscribe();
    });
  }

  /**
   * A live query: emits, for every snapshot of the query, the views that entered, changed within or
   * left its result since the previous one; the first emission has every view that matches now (as
   * `added`). One emission per snapshot, however many views changed, until the consumer stops.
   */
  watchQuery<View>(projection: AnyProjection<View>, options: WatchQueryOptions<View>): AsyncIterable<Array<ViewChange<View>>> {
    return new Repeater<Array<ViewChange<View>>>(async (push, stop) => {
      await this.followRegistry();
      const query = this.filtered(projection, options.where);
      const unsubscribe = query.onSnapshot(
        (snapshot) =>
          void push(snapshot.docChanges().map((change) => ({ type: change.type, id: change.doc.id, view: change.doc.data() as View }))),
        (error) => stop(error),
      );
      await stop;
      unsubscribe();
    });
  }

  private filtered(projection: AnyProjection, where: Readonly<Record<string, unknown>> = {}): Query {
    let query: Query = this.db.collection(this.target(projection));
    for (const [field, value] of Object.entries(where)) {
      if (value !== undefined) query = query.where(field, '==', value);
    }
    return query;
  }

  private ref(projection: AnyProjection, id: string) {
    return this.db.collection(this.target(projection)).doc(id);
  }
}

function viewOf<View>(snapshot: DocumentSnapshot): View | null {
  return snapshot.exists ? (snapshot.data() as View) : null;
}
