import { createHash } from 'node:crypto';
import type { DomainEvent, EventEnvelope } from './eventStore.ts';

/**
 * A read model as a pure function of events. `viewIds` says which view documents an event touches;
 * `evolve` computes a document's next state. The runtime that applies it (idempotently, in stream
 * order, filling gaps from the event store) lives in an adapter.
 */
export interface Projection<View, E extends DomainEvent = DomainEvent> {
  readonly name: string;
  /** Bumped when the view's shape or meaning changes: a new version is rebuilt beside the old one. */
  readonly version: number;
  /** Event types this projection reads; others are acknowledged and skipped. */
  readonly eventTypes: readonly E['type'][];
  viewIds(event: EventEnvelope<E>): string[];
  evolve(view: View | null, event: EventEnvelope<E>): View;
  /**
   * For views that every stream writes (a grand total, a day's figures), which a single document could not
   * take at production rates (about 1 write/s per document): each view is kept as `shards` documents, a
   * stream always writing the same one (by a hash of its id), and read as `merge` of them. Since a stream
   * has one shard, its checkpoint guards that shard exactly as it guarded the whole view.
   */
  readonly sharded?: ShardedViews<View, E>;
}

export interface ShardedViews<View, E extends DomainEvent = DomainEvent> {
  /** At most MAX_SHARDS: a live view listens to its shards with one `in` query. */
  readonly shards: number;
  /** The view from the shards that exist (at least one), in shard order. */
  merge(parts: readonly View[]): View;
  /**
   * The shard an event writes, below `shards`, the same for every event of its stream (the stream's
   * checkpoint guards it). Default: a hash of the stream id (shardOf), for views that many streams write
   * alike; a projection whose writers are known streams (a product's stock buckets) maps them one to one.
   */
  shardOf?(event: EventEnvelope<E>): number;
  /**
   * What queries select views by, for a sharded view that is also listed or filtered (a catalog page, the
   * low-stock products): kept in a summary document per view (its id is the view id, beside the shards),
   * rewritten only when these values change, so a view that changes on every event still costs its summary
   * a write only now and then. A query selects summaries; the views it answers are merged from the shards.
   * Return values that change rarely (a flag, a status), or only in a rare state (the units left while low).
   */
  queryFields?(view: View): ViewSummary;
  /**
   * Event types that never change what `queryFields` returns, whatever the view (a shipment takes units out of
   * on-hand and reserved alike, so what is available stays): their applies skip the summary's check, and its
   * reads. Only types that cannot change it in any state: skipping one that might would leave it stale.
   */
  readonly queryFieldsUnchangedBy?: readonly E['type'][];
  /**
   * For views that every order writes, at rates no fixed set of documents takes (about 1 write/s each): the
   * projector does not write a shard per event, it records the event's contribution (`evolve(null, event)`) in
   * a document of its own, and a roll-up folds a shard's pending contributions into it, at most about once a
   * second (src/firestore/viewRollUp.ts). A read merges the shards and the contributions not folded yet. Only for
   * views that are sums, where `evolve(view, event)` equals `merge([view, evolve(null, event)])`; not with
   * `queryFields`.
   */
  readonly rolledUp?: boolean;
}

/** The fields of a view's summary document (see ShardedViews.queryFields): top-level scalars, for equality filters. */
export type ViewSummary = Readonly<Record<string, string | number | boolean | null>>;

/** Marks a summary document, so that queries over a collection of shards and summaries select the summaries. */
export const SUMMARY_MARKER = 'viewSummary';

/** Firestore's limit on the values of an `in` filter, which a live sharded view listens with. */
export const MAX_SHARDS = 30;

/** The shard of a view a stream writes: stable across processes and releases (first 4 bytes of SHA-256). */
export function shardOf(streamId: string, shards: number): number {
  return createHash('sha256').update(streamId).digest().readUInt32BE(0) % shards;
}

/** The document that holds shard `shard` of view `viewId`. */
export function shardDocumentId(viewId: string, shard: number): string {
  return `${viewId}~${String(shard).padStart(2, '0')}`;
}

/** The documents a view is stored in: itself, or its shards. */
export function viewDocumentIds(projection: Pick<AnyProjection, 'sharded'>, viewId: string): string[] {
  const shards = projection.sharded?.shards;
  return shards ? Array.from({ length: shards }, (_, shard) => shardDocumentId(viewId, shard)) : [viewId];
}

/** The documents an event of a projection writes: its views, or the stream's shard of each. */
export function documentIdsOf<E extends DomainEvent>(projection: Projection<unknown, E>, event: EventEnvelope<E>): string[] {
  const ids = projection.viewIds(event);
  const shards = projection.sharded?.shards;
  if (!shards) return ids;
  const shard = projection.sharded?.shardOf?.(event) ?? shardOf(event.streamId, shards);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards)
    throw new Error(`${projection.name}: shard ${shard} of ${event.streamId} is not below ${shards}`);
  return ids.map((id) => shardDocumentId(id, shard));
}

/** Whether applying an event may change the summary of the views it writes (see ShardedViews.queryFields). */
export function mayChangeSummary(projection: Pick<AnyProjection, 'sharded'>, event: EventEnvelope): boolean {
  const sharded = projection.sharded;
  return Boolean(sharded?.queryFields) && !(sharded?.queryFieldsUnchangedBy as readonly string[] | undefined)?.includes(event.type);
}

/** The summary document a sharded view with query fields keeps (see ShardedViews.queryFields); null for none. */
export function summaryOf<View>(projection: Pick<AnyProjection<View>, 'sharded'>, view: View | null): ViewSummary | null {
  const fields = projection.sharded?.queryFields;
  return fields && view !== null ? { ...fields(view), [SUMMARY_MARKER]: true } : null;
}

/** A view from its documents (as viewDocumentIds lists them): null when none exists. */
export function viewFromDocuments<View>(
  projection: Pick<AnyProjection<View>, 'sharded'>,
  documents: ReadonlyArray<View | null>,
): View | null {
  if (!projection.sharded) return documents[0] ?? null;
  const parts = documents.filter((part): part is View => part !== null);
  return parts.length > 0 ? projection.sharded.merge(parts) : null;
}

/** Whether the projection reads events of `type` (undefined, a message without a type: no). */
export function readsType(projection: Pick<AnyProjection, 'eventTypes'>, type: string | undefined): boolean {
  return type !== undefined && (projection.eventTypes as readonly string[]).includes(type);
}

export function handles<E extends DomainEvent>(projection: Projection<unknown, E>, event: EventEnvelope): event is EventEnvelope<E> {
  return readsType(projection, event.type);
}

/** Any projection, whatever events it reads (its `evolve` is contravariant in them, hence `any`). */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyProjection<View = unknown> = Projection<View, any>;
