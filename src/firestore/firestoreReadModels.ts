/**
 * Reads projection views for the API: point reads, batched reads, pages in document-id order, and
 * live streams driven by Firestore listeners, so every API instance sees every change whoever wrote it.
 *
 * Reads follow the registry (`projections/{name}.active`), re-read at most every couple of seconds, so
 * a rebuild's switch-over reaches every API instance within that. Live streams opened before a switch
 * stay on the target they started on.
 *
 * Live streams are multiplexed (`ListenerHub`): all subscribers of this instance to the same document or
 * the same query share one Firestore listener, and each subscriber reads through its own bounded queue
 * (`SubscriberQueue`), so a slow client costs at most one waiting snapshot, never a backlog.
 */
import { FieldPath, type DocumentSnapshot, type Firestore, type Query } from '@google-cloud/firestore';
import type { AnyProjection } from '../core/projection.ts';
import type { ProjectionMonitor, ProjectionStatus } from '../core/projectionStatus.ts';
import { PROJECTIONS, readModelCollectionName } from './firestoreProjector.ts';
import { ListenerHub, type ListenerHubStats, type ListenerSource } from '../live/listenerHub.ts';
import { projectionStatuses } from './firestoreProjectionStatus.ts';
import { conflate, SubscriberQueue, type OverflowPolicy } from '../live/subscriberQueue.ts';

export interface ReadModelOptions {
  /** How stale this instance's view of the registry may get: a switch-over reaches it within this. Default 2 s. */
  readonly registryMaxAgeMs?: number;
  /**
   * For change-shaped live queries (`watchQuery`): how many changed documents may wait, beyond the first
   * snapshot, for a subscriber that is not reading before it is dropped with SUBSCRIPTION.OVERFLOW. Default 1,000.
   */
  readonly maxPendingChanges?: number;
}

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
  readonly where?: ViewFilter<View>;
  /** Order of the result (and of a `limit` window). Ordering by a field other than an equality filter's needs a composite index. */
  readonly orderBy?: { readonly field: keyof View & string; readonly direction?: 'asc' | 'desc' };
  readonly limit?: number;
}

/** One view entering, changing in, or leaving a live query's result. */
export interface ViewChange<View> {
  readonly type: 'added' | 'modified' | 'removed';
  readonly id: string;
  /** For `removed`, the view as it last matched the query: its current state may differ. */
  readonly view: View;
}

/** What a shared query listener holds: the ordered result, and what changed in the last snapshot. */
interface QuerySnapshotView<View> {
  readonly docs: ReadonlyArray<ViewDocument<View>>;
  readonly changes: ReadonlyArray<ViewChange<View>>;
}

export class FirestoreReadModels implements ProjectionMonitor {
  private activeTargets = new Map<string, string>();
  private registryReadAt = Number.NEGATIVE_INFINITY;
  private registryRead: Promise<void> | null = null;
  private readonly hub = new ListenerHub();
  private readonly registryMaxAgeMs: number;
  private readonly maxPendingChanges: number;
  private readonly queuedSubscribers = new Set<SubscriberQueue<unknown>>();
  private liveEnded = false;

  constructor(
    private readonly db: Firestore,
    options: ReadModelOptions = {},
  ) {
    this.registryMaxAgeMs = options.registryMaxAgeMs ?? 2_000;
    this.maxPendingChanges = options.maxPendingChanges ?? 1_000;
  }

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

  /**
   * Emits the view's current state (null while absent), then every change, until the consumer stops.
   * State-shaped: a subscriber that falls behind gets the latest state, not every state in between.
   */
  watch<View>(projection: AnyProjection<View>, id: string): AsyncIterableIterator<View | null> {
    return this.live<View | null, View | null>(
      async () => {
        await this.followRegistry();
        const ref = this.ref(projection, id);
        const source: ListenerSource<View | null> = (emit, fail) =>
          ref.onSnapshot((snapshot) => emit(viewOf<View>(snapshot)), fail);
        return { key: `doc:${ref.path}`, source };
      },
      conflate(),
      (view) => view,
    );
  }

  /**
   * A live query: emits, for every snapshot of the query, the views that entered, changed within or
   * left its result since the previous one; the first emission has every view that matches now (as
   * `added`). One emission per snapshot, however many views changed, until the consumer stops.
   *
   * A subscriber that falls behind gets the changes merged by document (each document's latest change);
   * past `maxPendingChanges` documents it is dropped with SUBSCRIPTION.OVERFLOW.
   */
  watchQuery<View>(projection: AnyProjection<View>, options: WatchQueryOptions<View>): AsyncIterableIterator<Array<ViewChange<View>>> {
    let first = true;
    return this.live<QuerySnapshotView<View>, Array<ViewChange<View>>>(
      () => this.querySource(projection, options),
      mergeChanges(this.maxPendingChanges),
      (snapshot) => {
        // Whether it opened the listener or joined it late, a subscriber starts from the whole result.
        if (!first) return snapshot.changes as Array<ViewChange<View>>;
        first = false;
        return snapshot.docs.map(({ id, view }) => ({ type: 'added' as const, id, view }));
      },
    );
  }

  /**
   * A live query, state-shaped: emits the query's whole result (in its order) now and after every
   * change. A subscriber that falls behind gets the latest result only.
   */
  watchResults<View>(projection: AnyProjection<View>, options: WatchQueryOptions<View>): AsyncIterableIterator<ReadonlyArray<ViewDocument<View>>> {
    return this.live<QuerySnapshotView<View>, ReadonlyArray<ViewDocument<View>>>(
      () => this.querySource(projection, options),
      conflate(),
      (snapshot) => snapshot.docs,
    );
  }

  projectionStatus(projections: readonly AnyProjection[]): Promise<ProjectionStatus[]> {
    return projectionStatuses(this.db, projections);
  }

  /** One poll per instance and interval, shared by every subscriber, since each costs a few queries per projection. */
  watchProjectionStatus(projections: readonly AnyProjection[], intervalMs: number): AsyncIterableIterator<readonly ProjectionStatus[]> {
    const key = `poll:projectionStatus:${intervalMs}:${projections.map((p) => p.name).join(',')}`;
    const source: ListenerSource<readonly ProjectionStatus[]> = (emit, fail) => {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let last: string | undefined;
      const poll = async () => {
        try {
          const statuses = await this.projectionStatus(projections);
          if (stopped) return;
          // Only news reaches subscribers: an idle system polls without streaming anything.
          const json = JSON.stringify(statuses);
          if (json !== last) emit(statuses);
          last = json;
          timer = setTimeout(() => void poll(), intervalMs);
        } catch (error) {
          if (!stopped) fail(error);
        }
      };
      void poll();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    };
    return this.live(async () => ({ key, source }), conflate<readonly ProjectionStatus[]>(), (statuses) => statuses);
  }

  /** Live listeners and subscribers of this instance, and how many subscribers have a value waiting. */
  liveStats(): ListenerHubStats & { readonly waiting: number } {
    let waiting = 0;
    for (const queue of this.queuedSubscribers) waiting += queue.pending;
    return { ...this.hub.stats(), waiting };
  }

  /**
   * Completes every live stream (each subscriber's next pull says done, so SSE streams send `complete`
   * and graphql-ws its `complete` messages), closes every listener, and completes any stream opened
   * later at once. For shutting down.
   */
  endLiveStreams(): void {
    this.liveEnded = true;
    for (const queue of [...this.queuedSubscribers]) void queue.return();
  }

  /**
   * A subscriber of the shared listener that `resolve` names: its own bounded queue, filled through
   * `toValue` (which sees every snapshot the subscriber is handed, in order).
   */
  private live<Snapshot, Value>(
    resolve: () => Promise<{ key: string; source: ListenerSource<Snapshot> }>,
    policy: OverflowPolicy<Value>,
    toValue: (snapshot: Snapshot) => Value,
  ): SubscriberQueue<Value> {
    let leave: (() => void) | undefined;
    let ended = false;
    const queue: SubscriberQueue<Value> = new SubscriberQueue<Value>(policy, () => {
      ended = true;
      this.queuedSubscribers.delete(queue as SubscriberQueue<unknown>);
      leave?.();
    });
    if (this.liveEnded) {
      void queue.return();
      return queue;
    }
    this.queuedSubscribers.add(queue as SubscriberQueue<unknown>);
    resolve().then(
      ({ key, source }) => {
        if (ended) return;
        leave = this.hub.join(key, source, { next: (snapshot) => queue.push(toValue(snapshot)), fail: (error) => queue.fail(error) });
      },
      (error: unknown) => queue.fail(error),
    );
    return queue;
  }

  private async querySource<View>(
    projection: AnyProjection<View>,
    options: WatchQueryOptions<View>,
  ): Promise<{ key: string; source: ListenerSource<QuerySnapshotView<View>> }> {
    await this.followRegistry();
    let query = this.filtered(projection, options.where);
    if (options.orderBy) query = query.orderBy(options.orderBy.field, options.orderBy.direction ?? 'asc');
    if (options.limit !== undefined) query = query.limit(options.limit);
    const where = Object.entries(options.where ?? {})
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = `query:${this.target(projection)}:${JSON.stringify({ where, orderBy: options.orderBy ?? null, limit: options.limit ?? null })}`;
    const source: ListenerSource<QuerySnapshotView<View>> = (emit, fail) =>
      query.onSnapshot(
        (snapshot) =>
          emit({
            docs: snapshot.docs.map((doc) => ({ id: doc.id, view: doc.data() as View })),
            changes: snapshot.docChanges().map((change) => ({ type: change.type, id: change.doc.id, view: change.doc.data() as View })),
          }),
        fail,
      );
    return { key, source };
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

/**
 * Folds a live query's change batches into one, each document's latest change winning, so that what
 * waits for a subscriber is bounded by the documents that changed, not by how often they did.
 */
function mergeChanges<View>(limit: number): OverflowPolicy<Array<ViewChange<View>>> {
  return {
    limit,
    size: (changes) => changes.length,
    merge: (waiting, arriving) => {
      if (!waiting) return arriving;
      const byId = new Map(waiting.map((change) => [change.id, change]));
      for (const change of arriving) {
        const before = byId.get(change.id);
        if (!before) byId.set(change.id, change);
        // The subscriber has not seen it yet: it enters with its latest state, or never shows at all.
        else if (before.type === 'added') change.type === 'removed' ? byId.delete(change.id) : byId.set(change.id, { ...change, type: 'added' });
        // It left and came back: to the subscriber, it changed.
        else if (before.type === 'removed') byId.set(change.id, change.type === 'removed' ? change : { ...change, type: 'modified' });
        else byId.set(change.id, change.type === 'added' ? { ...change, type: 'modified' } : change);
      }
      return [...byId.values()];
    },
  };
}
