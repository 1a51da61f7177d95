/**
 * The read-side port for views: what the API reads from the read models the projections keep, now
 * (one view, several, a page of a collection) and live (a view, a query's changes, a query's result).
 * The Firestore adapter is src/firestore/firestoreReadModels.ts.
 *
 * Live streams are async iterators the consumer pulls: an adapter holds at most a bounded amount for a
 * consumer that falls behind (state-shaped streams keep the latest value; change-shaped ones merge
 * changes by view, and past a limit end with SUBSCRIPTION.OVERFLOW), and a consumer that stops
 * (`return()`) frees what it held.
 */
import type { AnyProjection } from './projection.ts';

/** A view with its id, which is what a page cursor points at. */
export interface ViewDocument<View> {
  readonly id: string;
  readonly view: View;
}

/**
 * Equality on top-level fields only. Together with the id order, an equality filter is served by
 * Firestore's automatic single-field indexes: no composite index to deploy.
 */
export type ViewFilter<View> = { readonly [K in keyof View]?: View[K] & (string | number | boolean | null) };

/**
 * Pages go forward only: a backward page needs a descending scan of ids, which the Firestore emulator
 * refuses ("descending key scans") and production would serve from an extra index.
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

export interface ReadModels {
  get<View>(projection: AnyProjection<View>, id: string): Promise<View | null>;

  /** Reads several views in one round trip, answering in the order of `ids`. */
  getMany<View>(projection: AnyProjection<View>, ids: readonly string[]): Promise<Array<View | null>>;

  /** A page of views in id order: stable, and cheap to resume from a cursor. */
  list<View>(projection: AnyProjection<View>, options: ListOptions<View>): Promise<Array<ViewDocument<View>>>;

  /**
   * Emits the view's current state (null while absent), then every change, until the consumer stops.
   * State-shaped: a consumer that falls behind gets the latest state, not every state in between.
   */
  watch<View>(projection: AnyProjection<View>, id: string): AsyncIterableIterator<View | null>;

  /**
   * A live query: emits, for every change of the query's result, the views that entered, changed within
   * or left it since the previous emission; the first emission has every view that matches now (as
   * `added`). Change-shaped: a consumer that falls behind gets the changes merged by view.
   */
  watchQuery<View>(projection: AnyProjection<View>, options: WatchQueryOptions<View>): AsyncIterableIterator<Array<ViewChange<View>>>;

  /**
   * A live query, state-shaped: emits the query's whole result (in its order) now and after every
   * change. A consumer that falls behind gets the latest result only.
   */
  watchResults<View>(
    projection: AnyProjection<View>,
    options: WatchQueryOptions<View>,
  ): AsyncIterableIterator<ReadonlyArray<ViewDocument<View>>>;
}
