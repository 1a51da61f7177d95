/**
 * The read-side ports for views (ReadModels) and projection status (ProjectionMonitor) on Firestore:
 * point reads, batched reads, pages in document-id order, and live streams driven by Firestore
 * listeners, so every API instance sees every change whoever wrote it.
 *
 * Reads follow the registry (`projections/{name}.active`), re-read at most every couple of seconds, so
 * a rebuild's switch-over reaches every API instance within that. Live streams opened before a switch
 * stay on the target they started on.
 *
 * A sharded view (a counter every stream writes, see `sharded` in src/core/projection.ts) is read as the
 * merge of its shard documents, and watched with one listener on them. Queries over sharded views (only
 * those with `queryFields`) select their summary documents and answer with the views merged from the shards.
 * A rolled-up view (`sharded.rolledUp`) is read, and watched, with one query on its shards and the contributions
 * not folded into them yet (src/firestore/viewRollUp.ts): one consistent snapshot, so every order counts once.
 *
 * Live streams are multiplexed (`LiveStreams`, src/live): all subscribers of this instance to the same
 * document or the same query share its Firestore listener (or listeners), and each subscriber reads through its own
 * bounded queue, so a slow client costs at most one waiting snapshot, never a backlog.
 *
 * An ordered live query (`orderBy`: the newest orders, the soonest payment deadlines) orders by a field that grows
 * with time, so it is read as one listener per partition of the views' ids, each on an index range of its own,
 * merged here (src/firestore/readModelLayout.ts says why); on the emulator, which has no hotspots and pays for each
 * listener, it is asked whole (`orderedQueries`).
 *
 * Every view is read without the trace context the projector stores beside it (src/firestore/viewTrace.ts);
 * a live stream tags each changed view with it instead (src/live/liveTrace.ts), for the subscription frame's span.
 */
import { isDeepStrictEqual } from 'node:util';
import { FieldPath, type DocumentSnapshot, type Firestore, type Query, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import { SUMMARY_MARKER, viewDocumentIds, viewFromDocuments, type AnyProjection } from '../core/projection.ts';
import type { ProjectionHealth } from '../core/projectionHealth.ts';
import type { ProjectionMonitor, ProjectionStatus } from '../core/projectionStatus.ts';
import type { ListOptions, ReadModels, ViewChange, ViewDocument, WatchQueryOptions } from '../core/readModels.ts';
import type { ListenerSource } from '../live/listenerHub.ts';
import { LiveStreams, type LiveStats, type SharedSource } from '../live/liveStreams.ts';
import { tagLiveValue } from '../live/liveTrace.ts';
import { pollingSource } from '../live/pollingSource.ts';
import { conflate, mergeChanges } from '../live/subscriberQueue.ts';
import { PROJECTIONS, readModelCollectionName } from './firestoreProjector.ts';
import { onStreamPartitionsChanged, streamPartitions } from './partitionLayout.ts';
import type { StreamPartitions } from './partitions.ts';
import { VIEW_PARTITION_FIELD, viewsOf } from './readModelLayout.ts';
import { projectionHealth } from './firestoreProjectionHealth.ts';
import { projectionStatuses } from './firestoreProjectionStatus.ts';
import { inFilterGroups } from './inFilter.ts';
import { mergeParts, partWithTrace, readRolledUpViews, viewPartsOf, viewPartsQuery } from './viewRollUp.ts';
import { splitViewTrace, viewOfSnapshot } from './viewTrace.ts';

export interface ReadModelOptions {
  /** How stale this instance's view of the registry may get: a switch-over reaches it within this. Default 2 s. */
  readonly registryMaxAgeMs?: number;
  /**
   * For change-shaped live queries (`watchQuery`): how many changed documents may wait, beyond the first
   * snapshot, for a subscriber that is not reading before it is dropped with SUBSCRIPTION.OVERFLOW. Default 1,000.
   */
  readonly maxPendingChanges?: number;
  /**
   * How an ordered live query is read: `byPartition` (the default, production's), one listener per partition of the
   * views' ids on partition-led indexes; or `whole`, one listener on the query as asked. The Firestore emulator has
   * no indexes and no hotspots: it answers a listener by scanning its collection on every write to it, so 16
   * listeners cost it 4 to 5 times one (37 against 10 ms of its CPU per write at 400 views, 157 against 34 at
   * 2,000), and `npm run dev` asks for `whole` there.
   */
  readonly orderedQueries?: 'byPartition' | 'whole';
  /**
   * What a live rolled-up view (the sales dashboard's) listens to: `parts` (the default), its shards and its pending
   * contributions, so it moves with every event, and its listener takes a change per event; or `shards`, its
   * shards alone, so it moves with each roll-up (each shard at most once a second, each a consistent fold: never
   * an order counted twice, at most a second or so behind under load), and its listeners take at most a change per
   * shard a second, whatever the load. Past about 100× the demo load, take `shards` (LIVE_ROLLED_UP_VIEWS,
   * docs/capacity.md). Reads merge shards and contributions either way.
   */
  readonly rolledUpLive?: 'parts' | 'shards';
}

/** What a shared query listener holds: the ordered result, and what changed in the last snapshot. */
interface QuerySnapshotView<View> {
  readonly docs: ReadonlyArray<ViewDocument<View>>;
  readonly changes: ReadonlyArray<ViewChange<View>>;
}

export class FirestoreReadModels implements ReadModels, ProjectionMonitor {
  private activeTargets = new Map<string, string>();
  private registryReadAt = Number.NEGATIVE_INFINITY;
  private registryRead: Promise<void> | null = null;
  private readonly live = new LiveStreams();
  private readonly registryMaxAgeMs: number;
  private readonly maxPendingChanges: number;
  private readonly orderedQueries: 'byPartition' | 'whole';
  private readonly rolledUpLive: 'parts' | 'shards';

  constructor(
    private readonly db: Firestore,
    options: ReadModelOptions = {},
  ) {
    this.registryMaxAgeMs = options.registryMaxAgeMs ?? 2_000;
    this.maxPendingChanges = options.maxPendingChanges ?? 1_000;
    this.orderedQueries = options.orderedQueries ?? 'byPartition';
    this.rolledUpLive = options.rolledUpLive ?? 'parts';
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
    if (projection.sharded) return (await this.getMany(projection, [id]))[0]!;
    await this.followRegistry();
    return viewOf<View>(await this.ref(projection, id).get());
  }

  /** One `getAll` (of every shard of each view, for a sharded projection). */
  async getMany<View>(projection: AnyProjection<View>, ids: readonly string[]): Promise<Array<View | null>> {
    if (ids.length === 0) return [];
    await this.followRegistry();
    if (projection.sharded?.rolledUp) return readRolledUpViews(this.db, projection, this.target(projection), ids);
    const documentIds = ids.map((id) => viewDocumentIds(projection, id));
    const snapshots = await this.db.getAll(...documentIds.flat().map((id) => this.ref(projection, id)));
    let at = 0;
    return documentIds.map((documents) => {
      const views = snapshots.slice(at, at + documents.length).map((snapshot) => viewOf<View>(snapshot));
      at += documents.length;
      return viewFromDocuments(projection, views);
    });
  }

  /** In document-id order. */
  async list<View>(projection: AnyProjection<View>, options: ListOptions<View>): Promise<Array<ViewDocument<View>>> {
    refuseSharded(projection, 'list');
    await this.followRegistry();
    let query = this.filtered(projection, options.where).orderBy(FieldPath.documentId());
    if (options.after) query = query.startAfter(options.after);
    const snapshot = await query.limit(options.first).get();
    if (!projection.sharded) return snapshot.docs.map((doc) => ({ id: doc.id, view: viewOf<View>(doc)! }));
    const ids = snapshot.docs.map((doc) => doc.id);
    const views = await this.getMany(projection, ids);
    return ids.flatMap((id, i) => (views[i] ? [{ id, view: views[i] }] : []));
  }

  watch<View>(projection: AnyProjection<View>, id: string): AsyncIterableIterator<View | null> {
    return this.live.open<View | null, View | null>(
      async () => {
        await this.followRegistry();
        if (projection.sharded?.rolledUp) {
          return this.rolledUpLive === 'shards' ? this.rolledUpShardsSource(projection, id) : this.rolledUpSource(projection, id);
        }
        if (projection.sharded) return this.shardsSource(projection, id);
        const ref = this.ref(projection, id);
        const source: ListenerSource<View | null> = (emit, fail) => ref.onSnapshot((snapshot) => emit(liveViewOf<View>(snapshot)), fail);
        return { key: `doc:${ref.path}`, source };
      },
      conflate(),
      (view) => view,
    );
  }

  /**
   * One emission per snapshot, however many views changed. A subscriber that falls behind gets the
   * changes merged by document (each document's latest change); past `maxPendingChanges` documents it
   * is dropped with SUBSCRIPTION.OVERFLOW.
   */
  watchQuery<View>(projection: AnyProjection<View>, options: WatchQueryOptions<View>): AsyncIterableIterator<Array<ViewChange<View>>> {
    refuseSharded(projection, 'watchQuery');
    let first = true;
    return this.live.open<QuerySnapshotView<View>, Array<ViewChange<View>>>(
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

  watchResults<View>(
    projection: AnyProjection<View>,
    options: WatchQueryOptions<View>,
  ): AsyncIterableIterator<ReadonlyArray<ViewDocument<View>>> {
    refuseSharded(projection, 'watchResults');
    return this.live.open<QuerySnapshotView<View>, ReadonlyArray<ViewDocument<View>>>(
      () => this.querySource(projection, options),
      conflate(),
      (snapshot) => snapshot.docs,
    );
  }

  projectionStatus(projections: readonly AnyProjection[]): Promise<ProjectionStatus[]> {
    return projectionStatuses(this.db, projections);
  }

  projectionHealth(projections: readonly AnyProjection[], options: { readonly stallAfterSeconds: number }): Promise<ProjectionHealth[]> {
    return projectionHealth(this.db, projections, options);
  }

  /** One poll per instance and interval, shared by every subscriber, since each costs a few queries per projection. */
  watchProjectionStatus(projections: readonly AnyProjection[], intervalMs: number): AsyncIterableIterator<readonly ProjectionStatus[]> {
    const key = `poll:projectionStatus:${intervalMs}:${projections.map((p) => p.name).join(',')}`;
    const source = pollingSource<readonly ProjectionStatus[]>(() => this.projectionStatus(projections), intervalMs);
    return this.live.open(
      async () => ({ key, source }),
      conflate<readonly ProjectionStatus[]>(),
      (statuses) => statuses,
    );
  }

  /** Live listeners and subscribers of this instance, and how many subscribers have a value waiting. */
  liveStats(): LiveStats {
    return this.live.stats();
  }

  /** Completes every live stream, and any opened later at once: for shutting down (see LiveStreams.end). */
  endLiveStreams(): void {
    this.live.end();
  }

  private async querySource<View>(
    projection: AnyProjection<View>,
    options: WatchQueryOptions<View>,
  ): Promise<SharedSource<QuerySnapshotView<View>>> {
    await this.followRegistry();
    const where = Object.entries(options.where ?? {})
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = `query:${this.target(projection)}:${JSON.stringify({ where, orderBy: options.orderBy ?? null, limit: options.limit ?? null })}`;
    const { orderBy, limit } = options;
    if (orderBy && this.orderedQueries === 'byPartition') {
      if (projection.sharded) throw new Error(`${projection.name} keeps sharded views: an ordered live query over them is not supported`);
      const partitionQuery = (partition: number) => {
        const query = this.filtered(projection, options.where)
          .where(VIEW_PARTITION_FIELD, '==', partition)
          .orderBy(orderBy.field, orderBy.direction ?? 'asc');
        return limit === undefined ? query : query.limit(limit);
      };
      const layout = await streamPartitions(this.db);
      return { key, ...partitionedSource<View>(this.db, layout, partitionQuery, orderBy, limit) };
    }
    let query = this.filtered(projection, options.where);
    if (orderBy) query = query.orderBy(orderBy.field, orderBy.direction ?? 'asc');
    if (limit !== undefined) query = query.limit(limit);
    if (projection.sharded) return { key, source: this.summariesSource(projection, query) };
    const source: ListenerSource<QuerySnapshotView<View>> = (emit, fail) =>
      query.onSnapshot((snapshot) => {
        const changes = snapshot
          .docChanges()
          .map((change) => ({ type: change.type, id: change.doc.id, view: liveViewOf<View>(change.doc)! }));
        // The changed documents' views are the tagged ones; the others are read without their (older) traces.
        const changed = new Map(changes.filter((change) => change.type !== 'removed').map((change) => [change.id, change.view]));
        emit({ docs: snapshot.docs.map((doc) => ({ id: doc.id, view: changed.get(doc.id) ?? viewOf<View>(doc)! })), changes });
      }, fail);
    return { key, source };
  }

  /**
   * A live query over the summaries of sharded views: each snapshot's changed views are read merged from their
   * shards (one getAll), in snapshot order, and kept for the whole result a late subscriber starts from.
   */
  private summariesSource<View>(projection: AnyProjection<View>, query: Query): ListenerSource<QuerySnapshotView<View>> {
    return (emit, fail) => {
      const merged = new Map<string, View>();
      let previous = Promise.resolve();
      // emit and fail may be called only until the source is stopped: a read still in flight then is dropped.
      let stopped = false;
      const unsubscribe = query.onSnapshot((snapshot) => {
        const ids = snapshot.docs.map((doc) => doc.id);
        const changes = snapshot.docChanges().map((change) => ({ type: change.type, id: change.doc.id }));
        previous = previous.then(async () => {
          if (stopped) return;
          const changedIds = changes.map((change) => change.id);
          let views: Array<View | null>;
          try {
            views = await this.getMany(projection, changedIds);
          } catch (error) {
            if (!stopped) fail(error);
            return;
          }
          if (stopped) return;
          for (const [i, id] of changedIds.entries()) {
            const view = views[i];
            if (view) merged.set(id, view);
            else merged.delete(id);
          }
          const present = <T extends { id: string }>(items: T[]) => items.filter((item) => merged.has(item.id));
          emit({
            docs: present(ids.map((id) => ({ id }))).map(({ id }) => ({ id, view: merged.get(id)! })),
            changes: present(changes).map((change) => ({ ...change, view: merged.get(change.id)! })),
          });
          for (const change of changes) if (change.type === 'removed') merged.delete(change.id);
        });
      }, fail);
      return () => {
        stopped = true;
        unsubscribe();
      };
    };
  }

  /** A sharded view, live: one listener on all its shards (an `in` query on their ids), merged on every snapshot. */
  private shardsSource<View>(projection: AnyProjection<View>, id: string): SharedSource<View | null> {
    const refs = viewDocumentIds(projection, id).map((documentId) => this.ref(projection, documentId));
    const query = viewsOf(this.db, this.target(projection)).where(FieldPath.documentId(), 'in', refs);
    const source: ListenerSource<View | null> = (emit, fail) =>
      query.onSnapshot((snapshot) => {
        const merged = viewFromDocuments(
          projection,
          snapshot.docs.map((doc) => viewOf<View>(doc)),
        );
        // The frame joins the trace of the write to the shard that changed (the last one, when several did).
        const changed = snapshot.docChanges().at(-1)?.doc;
        emit(changed && merged ? tagLiveValue(merged, splitViewTrace(changed.data()).trace) : merged);
      }, fail);
    return { key: `shards:${this.target(projection)}/${id}`, source };
  }

  /**
   * A rolled-up view, live: one listener on its shards and pending contributions, merged on every snapshot. A
   * roll-up changes the documents but not the view (it moves contributions into their shard): such a snapshot
   * emits nothing.
   */
  private rolledUpSource<View>(projection: AnyProjection<View>, id: string): SharedSource<View | null> {
    const target = this.target(projection);
    const query = viewPartsQuery(this.db, target, id);
    const source: ListenerSource<View | null> = (emit, fail) => {
      let last: { view: View | null } | undefined;
      return query.onSnapshot((snapshot) => {
        const [merged] = mergeParts(projection, [id], snapshot.docs);
        if (last && isDeepStrictEqual(last.view, merged)) return;
        last = { view: merged! };
        // The frame joins the trace of the contribution that changed the view (the last one, when several did).
        const added = snapshot
          .docChanges()
          .filter((change) => change.type === 'added')
          .at(-1)?.doc;
        const trace = added ? partWithTrace(added).trace : null;
        emit(merged && trace ? tagLiveValue(merged, trace) : merged!);
      }, fail);
    };
    return { key: `parts:${target}/${id}`, source };
  }

  /**
   * A rolled-up view, live from its shards alone: one listener per 30 of them (an `in` query on their ids; a view
   * has `sharded.shards` shards, every earlier count's among them), merged once all have answered. Contributions
   * not folded yet are left out, so the view moves with each roll-up.
   */
  private rolledUpShardsSource<View>(projection: AnyProjection<View>, id: string): SharedSource<View | null> {
    const target = this.target(projection);
    const groups = inFilterGroups(viewDocumentIds(projection, id).map((shard) => viewPartsOf(this.db, target).doc(shard)));
    const source: ListenerSource<View | null> = (emit, fail) => {
      const answered: Array<readonly DocumentSnapshot[] | undefined> = groups.map(() => undefined);
      let last: { view: View | null } | undefined;
      const unsubscribes = groups.map((refs, group) =>
        viewPartsOf(this.db, target)
          .where(FieldPath.documentId(), 'in', refs)
          .onSnapshot((snapshot) => {
            answered[group] = snapshot.docs;
            if (answered.some((docs) => docs === undefined)) return;
            const [merged] = mergeParts(projection, [id], (answered as Array<readonly DocumentSnapshot[]>).flat());
            if (last && isDeepStrictEqual(last.view, merged)) return;
            last = { view: merged! };
            emit(merged!);
          }, fail),
      );
      return () => {
        for (const unsubscribe of unsubscribes) unsubscribe();
      };
    };
    return { key: `rolledUpShards:${target}/${id}`, source, listeners: groups.length };
  }

  private filtered(projection: AnyProjection, where: Readonly<Record<string, unknown>> = {}): Query {
    let query: Query = viewsOf(this.db, this.target(projection));
    // A sharded view's collection holds its shards beside its summary: a query selects the summaries.
    if (projection.sharded) query = query.where(SUMMARY_MARKER, '==', true);
    for (const [field, value] of Object.entries(where)) {
      if (value !== undefined) query = query.where(field, '==', value);
    }
    return query;
  }

  private ref(projection: AnyProjection, id: string) {
    return viewsOf(this.db, this.target(projection)).doc(id);
  }
}

/**
 * Queries over documents would see shards, not views: a sharded projection is queried only through the
 * summaries its `queryFields` keep, and read by id otherwise.
 */
function refuseSharded(projection: AnyProjection, operation: string): void {
  if (projection.sharded && !projection.sharded.queryFields) {
    throw new Error(`${projection.name} keeps sharded views without summaries, read by id only: ${operation} is not supported`);
  }
}

/**
 * An ordered live query read as one listener per view partition: each partition's first `limit` views, merged in
 * the query's order (ties by id, as Firestore breaks them) and cut to `limit`, hold the whole query's first
 * `limit`. Emits once every partition has answered, then whenever a partition's change changes the merged result,
 * with the views that entered, changed within or left it.
 *
 * When this process hears of a growth of the view partitions (announced ahead, src/firestore/partitions.ts), it
 * listens to the new partitions too. A view written again after the switch may move to one of them: until the
 * partition it left reports it gone, both hold it, and the copy written last is the view.
 */
function partitionedSource<View>(
  db: Firestore,
  layout: StreamPartitions,
  partitionQuery: (partition: number) => Query,
  orderBy: NonNullable<WatchQueryOptions<View>['orderBy']>,
  limit: number | undefined,
): Pick<SharedSource<QuerySnapshotView<View>>, 'source' | 'listeners'> {
  let listening = 0;
  const source: ListenerSource<QuerySnapshotView<View>> = (emit, fail) => {
    const partitions: Array<ReadonlyArray<WrittenView<View>> | undefined> = [];
    const unsubscribes: Array<() => void> = [];
    let previous: Map<string, View> | null = null;
    let stopped = false;
    const publish = () => {
      if (partitions.some((docs) => docs === undefined)) return;
      const docs = mergePartitionResults(partitions as Array<ReadonlyArray<WrittenView<View>>>, orderBy, limit);
      const current = new Map(docs.map(({ id, view }) => [id, view]));
      const changes: Array<ViewChange<View>> = [];
      for (const { id, view } of docs) {
        const before = previous?.get(id);
        if (before === undefined) changes.push({ type: 'added', id, view });
        else if (!isDeepStrictEqual(before, view)) changes.push({ type: 'modified', id, view });
      }
      for (const [id, view] of previous ?? []) if (!current.has(id)) changes.push({ type: 'removed', id, view });
      if (previous && changes.length === 0) return;
      previous = current;
      emit({ docs, changes });
    };
    const listenUpTo = (grown: StreamPartitions) => {
      if (stopped) return;
      for (let partition = partitions.length; partition < grown.allViewPartitions().length; partition++) {
        partitions.push(undefined);
        listening++;
        unsubscribes.push(
          partitionQuery(partition).onSnapshot((snapshot) => {
            // The changed documents' views are the tagged ones, as in a single query's listener.
            const changed = new Set(snapshot.docChanges().map((change) => change.doc.id));
            partitions[partition] = snapshot.docs.map((doc) => ({
              id: doc.id,
              view: (changed.has(doc.id) ? liveViewOf<View>(doc) : viewOf<View>(doc))!,
              writtenAt: doc.updateTime.valueOf(),
            }));
            publish();
          }, fail),
        );
      }
    };
    const stopFollowing = onStreamPartitionsChanged(db, listenUpTo);
    listenUpTo(layout);
    // A growth heard of between reading `layout` and the line above.
    void streamPartitions(db).then(listenUpTo, () => {});
    return () => {
      stopped = true;
      stopFollowing();
      for (const unsubscribe of unsubscribes) unsubscribe();
      listening -= unsubscribes.length;
    };
  };
  return { source, listeners: () => listening };
}

/** A view in one partition's result, with when it was written (Timestamp.valueOf(): ordered as text). */
export interface WrittenView<View> extends ViewDocument<View> {
  readonly writtenAt: string;
}

/**
 * The first `limit` views of every partition's result, in the query's order; a view that two partitions hold (it
 * moved after a growth, and the partition it left has not reported it gone yet) once, as it was written last.
 */
export function mergePartitionResults<View>(
  partitions: ReadonlyArray<ReadonlyArray<WrittenView<View>>>,
  orderBy: NonNullable<WatchQueryOptions<View>['orderBy']>,
  limit: number | undefined,
): Array<ViewDocument<View>> {
  const latest = new Map<string, WrittenView<View>>();
  for (const written of partitions.flat()) {
    const other = latest.get(written.id);
    if (!other || other.writtenAt < written.writtenAt) latest.set(written.id, written);
  }
  const inOrder = viewOrder<View>(orderBy.field, orderBy.direction ?? 'asc');
  return [...latest.values()]
    .sort(inOrder)
    .slice(0, limit)
    .map(({ id, view }) => ({ id, view }));
}

/** Firestore's order for the values views are ordered by (absent and null first, then numbers, then strings), ties by id. */
function viewOrder<View>(field: string, direction: 'asc' | 'desc'): (a: ViewDocument<View>, b: ViewDocument<View>) => number {
  const rank = (value: unknown) => (value === undefined || value === null ? 0 : typeof value === 'number' ? 1 : 2);
  const compare = (x: unknown, y: unknown) => rank(x) - rank(y) || (x === y ? 0 : (x as string | number) < (y as string | number) ? -1 : 1);
  const sign = direction === 'desc' ? -1 : 1;
  return (a, b) =>
    sign * (compare((a.view as Record<string, unknown>)[field], (b.view as Record<string, unknown>)[field]) || compare(a.id, b.id));
}

function viewOf<View>(snapshot: DocumentSnapshot): View | null {
  return viewOfSnapshot<View>(snapshot);
}

/** The view, tagged with the trace of the write that produced it, for a live stream. */
function liveViewOf<View>(snapshot: DocumentSnapshot | QueryDocumentSnapshot): View | null {
  if (!snapshot.exists) return null;
  const { view, trace } = splitViewTrace<View>(snapshot.data()!);
  return tagLiveValue(view, trace);
}
