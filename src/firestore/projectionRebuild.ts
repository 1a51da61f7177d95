/**
 * Rebuild and replay: run the whole event store through a projection into a new target collection.
 *
 * rebuild: the live read model keeps serving while a new generation is built beside it; then the
 *   registry switches to it atomically (projectors read the registry in their transactions, the API
 *   follows it with a listener) and a catch-up pass applies whatever was recorded meanwhile. The
 *   cursor is saved after every page, so a crashed rebuild resumes where it stopped.
 * replay: the same into a scratch target that never goes live, then compared with the live one, for
 *   regression checks ("does the new projection code produce the same read model?").
 *
 * Events are read in commit order (eventsInCommitOrder: one range per partition, merged), which keeps every
 * stream in version order. Before the switch nothing else writes the new generation, so each page is folded
 * in memory and every document it changed is written once, with the page's checkpoints and the cursor, in
 * one batch (FirestoreProjector.applyRun): a crash leaves a page wholly applied or not at all. After the
 * switch, live projectors write the generation too, so the catch-up applies events one at a time through
 * the guarded apply the projector functions use.
 */
import type { Firestore, QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { AnyProjection } from '../core/projection.ts';
import { envelopeFromDocument } from './eventDocument.ts';
import { eventsInCommitOrder, positionOf, type CommitPosition } from './eventsInCommitOrder.ts';
import { EVENTS } from './firestoreEventStore.ts';
import { activeTargetOf, PROJECTIONS, registryRef, type FirestoreProjector } from './firestoreProjector.ts';
import { targetRef, viewsOf } from './readModelLayout.ts';
import { mergeParts, viewPartsOf } from './viewRollUp.ts';

export type RebuildMode = 'rebuild' | 'replay';
export type RebuildPhase = 'replay' | 'catch-up' | 'compare';

export interface RebuildOptions {
  readonly db: Firestore;
  readonly projector: FirestoreProjector;
  readonly projection: AnyProjection;
  readonly mode: RebuildMode;
  readonly pageSize?: number;
  readonly onProgress?: (progress: { phase: RebuildPhase; done: number; total: number; target: string }) => void;
  /** For tests of resumption: stop after this many pages, as a crash would. */
  readonly stopAfterPages?: number;
}

export interface RebuildResult {
  readonly target: string;
  readonly previousTarget: string;
  readonly eventsApplied: number;
  readonly resumed: boolean;
  readonly completed: boolean;
  /** replay only: how the scratch read model compares with the live one. */
  readonly comparison?: {
    readonly same: number;
    readonly different: string[];
    readonly onlyLive: string[];
    readonly onlyReplayed: string[];
  };
}

interface RebuildState {
  readonly mode: RebuildMode;
  readonly target: string;
  readonly status: 'running' | 'done';
  /** The last event applied: the next page starts after it. */
  readonly cursor: CommitPosition | null;
  readonly processed: number;
  readonly startedAt: string;
}

export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { db, projector, projection, mode } = options;
  const rebuilds = db.collection(PROJECTIONS).doc(projection.name).collection('rebuilds');
  const previousTarget = activeTargetOf(await registryRef(db, projection).get(), projection);

  // Resume an unfinished run of the same kind, or start the next generation.
  const existing = (await rebuilds.get()).docs.map((d) => d.data() as RebuildState);
  const unfinished = existing.find((r) => r.status === 'running' && r.mode === mode);
  const generation = existing.length + 1;
  const state: RebuildState = unfinished ?? {
    mode,
    target:
      mode === 'rebuild'
        ? `${projection.name}-v${projection.version}-g${generation}`
        : `${projection.name}-v${projection.version}-replay${generation}`,
    status: 'running',
    cursor: null,
    processed: 0,
    startedAt: new Date().toISOString(),
  };
  const stateRef = rebuilds.doc(state.target);
  if (!unfinished) await stateRef.set(state);

  const total = (await db.collectionGroup(EVENTS).count().get()).data().count;
  let { cursor, processed } = state;
  const pageSize = options.pageSize ?? 300;
  const report = (phase: RebuildPhase) =>
    options.onProgress?.({ phase, done: processed, total: Math.max(total, processed), target: state.target });
  /** Applies the events after the cursor, a page at a time; false when it stopped after maxPages. */
  const pass = async (phase: RebuildPhase, maxPages = Number.POSITIVE_INFINITY): Promise<boolean> => {
    let pages = 0;
    let page: QueryDocumentSnapshot[] = [];
    const applyPage = async () => {
      if (phase === 'replay') await applyFolded(page);
      else await applyGuarded(page);
      page = [];
      pages++;
      report(phase);
    };
    for await (const doc of eventsInCommitOrder(db, { after: cursor, pageSize })) {
      page.push(doc);
      if (page.length === pageSize) {
        await applyPage();
        if (pages >= maxPages) return false;
      }
    }
    if (page.length > 0) await applyPage();
    return true;
  };
  /** The new generation is nobody else's yet: the page folded in memory, its documents and the cursor in one batch. */
  const applyFolded = async (docs: readonly QueryDocumentSnapshot[]) => {
    // The projector lifts each event to the current version, as it does for deliveries.
    await projector.applyRun(
      projection,
      state.target,
      docs.map((doc) => envelopeFromDocument(doc.data())),
      (batch, committed) => {
        batch.update(stateRef, { cursor: positionOf(docs[committed - 1]!), processed: processed + committed });
      },
    );
    processed += docs.length;
    cursor = positionOf(docs.at(-1)!);
  };
  /** Live projectors write the generation now: one guarded apply per event, the cursor saved after the page. */
  const applyGuarded = async (docs: readonly QueryDocumentSnapshot[]) => {
    for (const doc of docs) {
      await projector.apply(projection, envelopeFromDocument(doc.data()), { target: state.target });
      processed++;
    }
    cursor = positionOf(docs.at(-1)!);
    await stateRef.update({ cursor, processed });
  };

  const caughtUp = await pass('replay', options.stopAfterPages);
  if (!caughtUp) {
    return { target: state.target, previousTarget, eventsApplied: processed, resumed: Boolean(unfinished), completed: false };
  }
  // The pages wrote the shards of sharded views; the summaries queries select by follow them once, here (a
  // crash between a page and its summaries would otherwise leave some behind when the run resumes).
  await projector.refreshAllSummaries(projection, state.target);

  if (mode === 'replay') {
    const comparison = await compareTargets(db, projection, previousTarget, state.target, options);
    await db.recursiveDelete(targetRef(db, state.target));
    await stateRef.update({
      status: 'done',
      finishedAt: new Date().toISOString(),
      comparison: { ...comparison, different: comparison.different.length },
    });
    return { target: state.target, previousTarget, eventsApplied: processed, resumed: Boolean(unfinished), completed: true, comparison };
  }

  await db.runTransaction(async (tx) => {
    tx.set(
      registryRef(db, projection),
      { active: state.target, previous: previousTarget, switchedAt: new Date().toISOString() },
      { merge: true },
    );
  });
  // Events committed while the last page was being applied reached the old target; apply them here too.
  await pass('catch-up');
  await stateRef.update({ status: 'done', finishedAt: new Date().toISOString() });
  return { target: state.target, previousTarget, eventsApplied: processed, resumed: Boolean(unfinished), completed: true };
}

async function compareTargets(db: Firestore, projection: AnyProjection, live: string, replayed: string, options: RebuildOptions) {
  const [liveDocs, replayedDocs] = await Promise.all([documentsOf(db, projection, live), documentsOf(db, projection, replayed)]);
  const replayedById = new Map([...replayedDocs].map(([id, data]) => [id, JSON.stringify(sortKeys(data))]));
  const result = { same: 0, different: [] as string[], onlyLive: [] as string[], onlyReplayed: [] as string[] };
  let done = 0;
  for (const [id, data] of liveDocs) {
    const mine = replayedById.get(id);
    if (mine === undefined) result.onlyLive.push(id);
    else if (mine === JSON.stringify(sortKeys(data))) result.same++;
    else result.different.push(id);
    replayedById.delete(id);
    options.onProgress?.({ phase: 'compare', done: ++done, total: liveDocs.size, target: replayed });
  }
  result.onlyReplayed.push(...replayedById.keys());
  return result;
}

/**
 * What a target holds, by id: its documents, or for rolled-up views each view merged from its parts (the live
 * target holds contributions not folded yet, a replayed one only shards, so only their merges compare).
 */
async function documentsOf(db: Firestore, projection: AnyProjection, target: string): Promise<Map<string, unknown>> {
  if (projection.sharded?.rolledUp) {
    const parts = await viewPartsOf(db, target).get();
    const viewIds = [...new Set(parts.docs.map((doc) => doc.get('viewId') as string))];
    const views = mergeParts(projection, viewIds, parts.docs);
    return new Map(viewIds.map((id, i) => [id, views[i]]));
  }
  const documents = await viewsOf(db, target).get();
  return new Map(documents.docs.map((doc) => [doc.id, doc.data()]));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && value.constructor === Object) {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
