/**
 * Rolled-up views (`sharded.rolledUp`, src/core/projection.ts): views that every order writes, kept at a write
 * rate per document that does not grow with the load.
 *
 * All the documents of a target's rolled-up views live in one collection, `<target>/parts/viewParts`:
 * - a shard, `summary~03`: the view's orders of the streams that hash to shard 3, as last rolled up;
 * - a contribution, `summary~03~<event id>`: what one event adds to that shard (`evolve(null, event)`), written by
 *   the projector in the transaction that moves the stream's checkpoint, so a redelivery writes nothing again,
 *   and marked `pending`.
 * A view is the merge of its shards and of the contributions not folded yet, read in one query (one consistent
 * snapshot), and watched with one listener on that query. A roll-up folds a shard's pending contributions into
 * it and deletes them in one transaction, so every snapshot counts each event exactly once, before the roll-up
 * in its contribution and after it in the shard. It writes a shard at most once per ROLL_UP_INTERVAL_MS
 * (`rolledAt`, read in the same transaction, is the marker), whoever calls it: the projector after every
 * ROLL_UP_AFTER_CONTRIBUTIONS of its contributions to the shard, and the scheduled sweep for what the last events
 * of a burst left pending.
 *
 * The collection id is the same for every projection and generation, so firestore.indexes.json can exempt the
 * growing fields it stores (`part`, `rolledAt`) from indexing once for all.
 */
import { FieldPath, Timestamp, type CollectionReference, type DocumentSnapshot, type Firestore, type Query } from '@google-cloud/firestore';
import { viewFromDocuments, type AnyProjection } from '../core/projection.ts';
import type { LiveTrace } from '../live/liveTrace.ts';
import { inFilterGroups } from './inFilter.ts';
import { targetRef } from './readModelLayout.ts';
import { splitViewTrace, VIEW_TRACE_FIELD } from './viewTrace.ts';

export const VIEW_PARTS = 'viewParts';

/** How often a shard may be written by roll-ups: production Firestore sustains about 1 write/s per document. */
export const ROLL_UP_INTERVAL_MS = 1_000;

/**
 * How many contributions a projector instance writes to a shard before it rolls the shard up after an apply
 * (src/firestore/firestoreProjector.ts): one apply in this many pays for a roll-up (a query and a transaction in the
 * push), and a read merges at most this many less one per shard and instance besides what came within the last
 * interval (docs/capacity.md).
 */
export const ROLL_UP_AFTER_CONTRIBUTIONS = 8;

/** Contributions folded by one roll-up transaction, well under Firestore's 500 writes per commit. */
const MAX_FOLDED_PER_ROLL_UP = 400;

/** A shard or a contribution, as stored. */
interface ViewPart<View> {
  /** The view it is part of, for the query that reads the view. */
  readonly viewId: string;
  /** The shard it is (a shard) or will be folded into (a contribution). */
  readonly shard: string;
  readonly part: View;
  /** Contributions only: waiting for a roll-up (the sweep finds them by it). */
  readonly pending?: true;
  /** Shards only: when the last roll-up wrote it. */
  readonly rolledAt?: Timestamp;
}

export function viewPartsOf(db: Firestore, target: string): CollectionReference {
  return targetRef(db, target).collection(VIEW_PARTS);
}

/** The view id of a shard id (`summary~03` → `summary`; shardDocumentId in src/core/projection.ts). */
export function viewIdOfShard(shard: string): string {
  return shard.replace(/~\d+$/, '');
}

/** One contribution per event and shard: a document id the event's id decides, so writing it twice is harmless. */
export function contributionId(shard: string, eventId: string): string {
  return `${shard}~${eventId}`;
}

export function contributionDocument<View>(shard: string, part: View, trace?: LiveTrace): object {
  const stored: ViewPart<View> = { viewId: viewIdOfShard(shard), shard, part, pending: true };
  return trace?.traceparent ? { ...stored, [VIEW_TRACE_FIELD]: trace } : stored;
}

/** A shard as written by a rebuild's run or a roll-up (`rolledAt` only by the latter: it is the roll-ups' marker). */
export function shardDocument<View>(shard: string, part: View, rolledAt?: Date): object {
  const stored: ViewPart<View> = { viewId: viewIdOfShard(shard), shard, part };
  return rolledAt ? { ...stored, rolledAt: Timestamp.fromDate(rolledAt) } : stored;
}

/** The view part a snapshot holds: null when it does not exist. */
export function partOf<View>(snapshot: DocumentSnapshot): View | null {
  return snapshot.exists ? (snapshot.get('part') as View) : null;
}

/** A view part and the trace of the write that produced it (contributions carry their projector's). */
export function partWithTrace<View>(snapshot: DocumentSnapshot): { part: View; trace: LiveTrace | null } {
  const { view, trace } = splitViewTrace<ViewPart<View>>(snapshot.data() ?? {});
  return { part: view.part, trace };
}

/** The query that reads a view: its shards and pending contributions, in document-id order. */
export function viewPartsQuery(db: Firestore, target: string, viewId: string): Query {
  return viewPartsOf(db, target).where('viewId', '==', viewId);
}

/** Views from their parts, in document-id order (shard `summary~03` before its contributions `summary~03~…`). */
export function mergeParts<View>(
  projection: AnyProjection<View>,
  viewIds: readonly string[],
  parts: ReadonlyArray<DocumentSnapshot>,
): Array<View | null> {
  const byView = new Map<string, View[]>(viewIds.map((id) => [id, []]));
  const ordered = [...parts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const snapshot of ordered) byView.get(snapshot.get('viewId') as string)?.push(partOf<View>(snapshot)!);
  return viewIds.map((id) => viewFromDocuments(projection, byView.get(id)!));
}

/**
 * Several rolled-up views, each exact: one query (one consistent snapshot) per 30 views, in a read-only
 * transaction when there are more, so that all of them are read at the same moment.
 */
export async function readRolledUpViews<View>(
  db: Firestore,
  projection: AnyProjection<View>,
  target: string,
  viewIds: readonly string[],
): Promise<Array<View | null>> {
  const unique = [...new Set(viewIds)];
  const chunks = inFilterGroups(unique);
  const query = (chunk: string[]) => viewPartsOf(db, target).where('viewId', 'in', chunk);
  const snapshots =
    chunks.length === 1
      ? [await query(chunks[0]!).get()]
      : await db.runTransaction(
          async (tx) => {
            const read = [];
            for (const chunk of chunks) read.push(await tx.get(query(chunk)));
            return read;
          },
          { readOnly: true },
        );
  const views = mergeParts(
    projection,
    unique,
    snapshots.flatMap((snapshot) => snapshot.docs),
  );
  const byId = new Map(unique.map((id, i) => [id, views[i]!]));
  return viewIds.map((id) => byId.get(id)!);
}

export interface RollUpOutcome {
  /** Contributions folded into the shard (0: none pending, or the shard was rolled up less than the interval ago). */
  readonly folded: number;
  /** Whether contributions remain after this roll-up (more than one roll-up folds). */
  readonly more: boolean;
}

/**
 * Folds a shard's pending contributions into it and deletes them, in one transaction: a crash or a conflict
 * leaves them all pending or all folded. Writes nothing when the shard was rolled up less than `minIntervalMs`
 * ago (by anyone), which bounds the shard's writes per second whoever calls this and however often.
 *
 * The pending contributions are found by a plain query, then read again by id in the transaction, which folds
 * those that still exist: a transaction that read a range would lock it against the projectors writing new
 * contributions into it (and, on the emulator, against every other roll-up of the collection). Contributions
 * written meanwhile stay pending for the next roll-up; one that another roll-up folded first is gone by then.
 */
export async function rollUpShard<View>(
  db: Firestore,
  projection: AnyProjection<View>,
  target: string,
  shard: string,
  options: { readonly now?: () => Date; readonly minIntervalMs?: number } = {},
): Promise<RollUpOutcome> {
  const merge = projection.sharded?.merge;
  if (!projection.sharded?.rolledUp || !merge) throw new Error(`${projection.name} keeps no rolled-up views`);
  const parts = viewPartsOf(db, target);
  const shardRef = parts.doc(shard);
  const pending = await parts
    .where(FieldPath.documentId(), '>', contributionId(shard, ''))
    .where(FieldPath.documentId(), '<', contributionId(shard, '\uf8ff'))
    .orderBy(FieldPath.documentId())
    .limit(MAX_FOLDED_PER_ROLL_UP)
    .select()
    .get();
  if (pending.empty) return { folded: 0, more: false };
  const more = pending.size === MAX_FOLDED_PER_ROLL_UP;
  return db.runTransaction(async (tx) => {
    const now = (options.now ?? (() => new Date()))();
    const [current, ...contributions] = await tx.getAll(shardRef, ...pending.docs.map((doc) => doc.ref));
    const rolledAt = (current!.get('rolledAt') as Timestamp | undefined)?.toMillis();
    if (rolledAt !== undefined && now.getTime() - rolledAt < (options.minIntervalMs ?? ROLL_UP_INTERVAL_MS)) {
      return { folded: 0, more: true };
    }
    const present = contributions.filter((snapshot) => snapshot.exists);
    if (present.length === 0) return { folded: 0, more };
    const before = partOf<View>(current!);
    const folded = merge([...(before === null ? [] : [before]), ...present.map((snapshot) => partOf<View>(snapshot)!)]);
    tx.set(shardRef, shardDocument(shard, folded, now));
    for (const snapshot of present) tx.delete(snapshot.ref);
    return { folded: present.length, more };
  });
}

/**
 * Rolls up every shard of a target that has pending contributions (once each; what remains, the next sweep
 * folds): for the scheduled sweep, after the last events of a burst, which no later apply rolls up.
 */
export async function rollUpPending(
  db: Firestore,
  projection: AnyProjection,
  target: string,
  options: { readonly now?: () => Date; readonly minIntervalMs?: number } = {},
): Promise<{ readonly shards: number; readonly folded: number }> {
  const pending = await viewPartsOf(db, target).where('pending', '==', true).select('shard').get();
  const shards = [...new Set(pending.docs.map((doc) => doc.get('shard') as string))];
  let folded = 0;
  for (const shard of shards) folded += (await rollUpShard(db, projection, target, shard, options)).folded;
  return { shards: shards.length, folded };
}
