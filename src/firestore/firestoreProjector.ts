/**
 * Applies projection events to Firestore read models, exactly once in effect.
 *
 * Deliveries are at-least-once and may arrive out of order across retries. For every (projection,
 * stream) pair a checkpoint records the last stream version applied; in one transaction the
 * projector reads the checkpoint, skips what is already applied, reads any missing earlier events
 * from the event store (a gap), evolves the affected view documents and moves the checkpoint.
 *
 * Where: a read model lives in a target (`customerOrderHistory-v1`, or a rebuilt generation such as
 * `customerOrderHistory-v1-g2`), the document `readModels/{target}`, which holds its views and its
 * checkpoints. The registry document `projections/{name}` names the active target; the projector reads it
 * inside the same transaction, so a switch-over by a rebuild is atomic: a transaction that read the old
 * target and commits after the switch is retried against the new one.
 */
import { isDeepStrictEqual } from 'node:util';
import AsyncLock from 'async-lock';
import type { DocumentReference, DocumentSnapshot, Firestore, Transaction, WriteBatch } from '@google-cloud/firestore';
import { UnknownEventTypeError, type EventRegistry } from '../core/eventRegistry.ts';
import type { EventEnvelope, EventStore } from '../core/eventStore.ts';
import type { PersonalDataProtection } from '../core/personalData.ts';
import {
  documentIdsOf,
  handles,
  mayChangeSummary,
  summaryOf,
  viewDocumentIds,
  viewFromDocuments,
  type AnyProjection,
  type Projection,
} from '../core/projection.ts';
import type { LiveTrace } from '../live/liveTrace.ts';
import { inSpan } from '../telemetry/tracing.ts';
import { streamPartitions } from './partitionLayout.ts';
import type { StreamPartitions } from './partitions.ts';
import { checkpointsOf, storedView, viewsOf } from './readModelLayout.ts';
import { viewOfSnapshot, withViewTrace } from './viewTrace.ts';
import {
  contributionDocument,
  contributionId,
  partOf,
  rollUpPending,
  rollUpShard,
  ROLL_UP_AFTER_CONTRIBUTIONS,
  ROLL_UP_INTERVAL_MS,
  shardDocument,
  viewPartsOf,
} from './viewRollUp.ts';

export const PROJECTIONS = 'projections';

/** Writes in one batch of a rebuild's run: Firestore's long-standing limit per commit. */
const MAX_WRITES_PER_BATCH = 500;

export type ApplyOutcome = (
  | { readonly status: 'applied'; readonly eventsApplied: number; readonly gapFilled: number }
  | { readonly status: 'duplicate'; readonly checkpoint: number }
) & {
  /** How many times the transaction ran: more than 1 when Firestore retried it on contention. */
  readonly attempts: number;
};

export interface ApplyOptions {
  /** A rebuild's generation that is not active yet; default the active target. */
  readonly target?: string;
  /** The trace context of the delivery's span, stored beside each view written (src/firestore/viewTrace.ts). */
  readonly trace?: LiveTrace;
}

type ProjectionId = Pick<Projection<unknown>, 'name' | 'version'>;

export interface ProjectorOptions {
  /**
   * How often at most this projector rolls up a shard of a rolled-up view it contributed to (and how recently
   * rolled up a shard it leaves alone); null: never, only the sweep does (for tests that keep contributions
   * pending). Default ROLL_UP_INTERVAL_MS.
   */
  readonly rollUpIntervalMs?: number | null;
  /**
   * How many contributions this projector writes to a shard before it rolls that shard up after an apply.
   * Default ROLL_UP_AFTER_CONTRIBUTIONS.
   */
  readonly rollUpAfter?: number;
  /** The clock of the roll-ups this projector runs, and of when it last ran each (tests). Default: the time now. */
  readonly now?: () => Date;
}

/** What this projector has contributed to a shard since it last rolled it up, and when it last tried to. */
interface ShardContributions {
  contributions: number;
  lastRollUpAt: number;
}

/** What an apply's transaction wrote, for the work that follows its commit. */
interface Written {
  readonly target: string;
  /** Views whose summaries (ShardedViews.queryFields) may have changed. */
  readonly viewIds: Set<string>;
  /** Shards of rolled-up views that got contributions, and how many. */
  readonly contributedTo: Map<string, number>;
}

/** An event an apply brings in, as the projection reads it, with the documents it writes. */
interface Routed {
  readonly event: EventEnvelope;
  readonly ids: string[];
}

/** The target a read model starts in, before any rebuild. */
export function readModelCollectionName(projection: ProjectionId): string {
  return `${projection.name}-v${projection.version}`;
}

export function registryRef(db: Firestore, projection: Pick<Projection<unknown>, 'name'>): DocumentReference {
  return db.collection(PROJECTIONS).doc(projection.name);
}

/** The active target from a registry snapshot: the default until a rebuild switched it. */
export function activeTargetOf(registry: { get(field: string): unknown } | undefined, projection: ProjectionId): string {
  const active = registry?.get('active');
  return typeof active === 'string' ? active : readModelCollectionName(projection);
}

/**
 * A stream's checkpoint: the last version applied. occurredAt lets `projections status` measure lag without a
 * document every event would contend on; it grows with every event of the read model, so it is indexed only
 * behind the stream's partition (firestore.indexes.json), and the newest is the newest of each partition's.
 */
export function checkpointOf(event: EventEnvelope, now: Date, layout: StreamPartitions) {
  return {
    version: event.version,
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    partition: layout.partitionOf(event.streamId, now.getTime()),
    updatedAt: now,
  };
}

export class FirestoreProjector {
  /** The target each projection was last seen serving from: where the next delivery's documents are read first. */
  private readonly lastActive = new Map<string, string>();
  /**
   * Per shard of a rolled-up view (`<target>/<shard>`), what this projector contributed since it last rolled it
   * up (see rollUpIfDue). A few dozen entries per target and day: the summary's shards and each day's.
   */
  private readonly shardContributions = new Map<string, ShardContributions>();
  /**
   * The documents this instance's applies are writing, by `<projection>/<document>`: an apply waits for those
   * in flight that write any of its own (see apply). Each takes its keys in sorted order, so no two applies each
   * hold a key the other waits for.
   */
  private readonly sameDocuments = new AsyncLock({ maxPending: Number.POSITIVE_INFINITY });

  constructor(
    private readonly db: Firestore,
    /** The plain store: gap events are lifted one by one, so one that can't be is skippable. */
    private readonly store: EventStore,
    /**
     * The event types this code knows (src/shopEvents.ts). With it, delivered and gap events alike are
     * lifted to the current version before the projection sees them, and an unknown type is refused;
     * without it (tests of a projection alone), events are taken as they come.
     */
    private readonly events?: EventRegistry,
    /** Opens sealed personal fields (clear text, or `[erased]`) before the projection sees them. */
    private readonly personalData?: PersonalDataProtection,
    private readonly options: ProjectorOptions = {},
  ) {}

  /**
   * What a projection sees of an event: the current version when it reads that type, nothing when it
   * does not (a bad event of a type it ignores is no business of this read model). An unknown type is
   * an error, since it might matter: the delivery becomes a dead letter until newer code knows it.
   */
  private async lift(projection: AnyProjection, event: EventEnvelope): Promise<EventEnvelope | null> {
    if (this.events && !this.events.knows(event.type)) throw new UnknownEventTypeError(event.type);
    if (!handles(projection, event)) return null;
    const opened = this.personalData ? await this.personalData.openEvent(event) : event;
    return this.events ? this.events.upcast(opened) : opened;
  }

  /**
   * Whether an event is of a type the projection does not read and this code knows: nothing to do, no I/O
   * needed. An unknown type is not ignored: it might matter, so apply() refuses it (a dead letter to redrive
   * once newer code knows it).
   */
  ignores(projection: AnyProjection, event: EventEnvelope): boolean {
    return (!this.events || this.events.knows(event.type)) && !handles(projection, event);
  }

  /** The target collection the read model is served from now. */
  async activeTarget(projection: ProjectionId): Promise<string> {
    return activeTargetOf(await registryRef(this.db, projection).get(), projection);
  }

  viewRef(target: string, viewId: string): DocumentReference {
    return viewsOf(this.db, target).doc(viewId);
  }

  /** Where a projection keeps a view document: its target collection, or the view parts of a rolled-up view. */
  private documentRef(projection: AnyProjection, target: string, documentId: string): DocumentReference {
    return projection.sharded?.rolledUp ? viewPartsOf(this.db, target).doc(documentId) : this.viewRef(target, documentId);
  }

  /**
   * Written when an operator skips a dead-lettered event for this projection. Per projection, not per
   * target, so a rebuild passes over the same events.
   */
  skipMarkerRef(projection: Pick<Projection<unknown>, 'name'>, eventId: string): DocumentReference {
    return this.db.collection(PROJECTIONS).doc(projection.name).collection('skipped').doc(eventId);
  }

  checkpointRef(target: string, streamId: string): DocumentReference {
    return checkpointsOf(this.db, target).doc(streamId);
  }

  /**
   * Applies an event to the active target, or to `options.target` (a rebuild writing a generation
   * that is not active yet).
   *
   * One read in the common case: the registry, the stream's checkpoint and the view documents the event
   * writes, in one `getAll`, guessing the target this projector last saw active (a wrong guess, after a
   * switch-over, costs a second read).
   *
   * Concurrent deliveries to this instance that would write the same documents (the stream's checkpoint, the
   * same view: two events of one stream, two orders of one customer) take turns here (sameDocuments), rather
   * than in Firestore: there each transaction holds its read locks until it commits, so the second would wait
   * for the first's and be aborted and retried (about 3 s a time on the emulator, whose transactions wait for
   * a lock before giving up, and a wasted round trip with backoff in production). Deliveries of other streams
   * and views run side by side. Another instance's transactions still meet in Firestore, which retries them.
   */
  async apply<View>(projection: AnyProjection<View>, event: EventEnvelope, options: ApplyOptions = {}): Promise<ApplyOutcome> {
    let attempts = 0;
    // Where the last attempt of the transaction wrote, the views it touched (their summaries follow) and the
    // shards of rolled-up views it wrote contributions to (a roll-up may follow).
    let written: Written | null = null;
    // The delivered event as the projection sees it (personal fields opened, upcast), lifted once for the hints and
    // the apply alike; a refusal rejects wherever it is awaited, and the apply handles it there.
    const delivered = this.lift(projection, event);
    delivered.catch(() => {});
    const expected = await this.documentIdsHint(projection, delivered);
    const layout = await streamPartitions(this.db);
    const documents = [`checkpoint:${event.streamId}`, ...expected.map((id) => `view:${id}`)]
      .map((key) => `${projection.name}/${key}`)
      .sort();
    const outcome = await this.sameDocuments.acquire(documents, () =>
      this.db.runTransaction(async (tx) => {
        attempts++;
        const { target, checkpoint, views } = await this.readTarget<View>(tx, projection, event.streamId, expected, options.target);
        const summaries = Boolean(projection.sharded?.queryFields);
        written = {
          target,
          viewIds: new Set(summaries && mayChangeSummary(projection, event) ? await this.viewIdsHint(projection, delivered) : []),
          contributedTo: new Map(),
        };
        if (event.version <= checkpoint) return { status: 'duplicate' as const, checkpoint };

        const { relevant, routed, gapFilled } = await this.eventsToApply(tx, projection, event, delivered, checkpoint);
        if (projection.sharded?.rolledUp) await this.writeContributions(tx, projection, routed, written, options.trace);
        else await this.writeViews(tx, projection, routed, views, written, options.trace, layout);
        tx.set(this.checkpointRef(target, event.streamId), checkpointOf(event, new Date(), layout));
        return { status: 'applied' as const, eventsApplied: relevant, gapFilled };
      }),
    );
    // After the commit, and after a duplicate too: a delivery that committed and crashed before this line
    // comes again as a duplicate, and brings the summaries up to date then.
    const touched = written as Written | null;
    if (touched && projection.sharded?.queryFields) {
      await Promise.all([...touched.viewIds].map((id) => this.refreshSummary(projection, touched.target, id)));
    }
    if (touched) {
      await Promise.all(
        [...touched.contributedTo].map(([shard, contributions]) => this.rollUpIfDue(projection, touched.target, shard, contributions)),
      );
    }
    return { ...outcome, attempts };
  }

  /**
   * Reads, in an apply's transaction, the stream's checkpoint and the views the delivered event is expected to
   * write, with the registry unless the apply names its target: from the target this projector last saw active,
   * and again from the active one if a rebuild switched it since.
   */
  private async readTarget<View>(
    tx: Transaction,
    projection: AnyProjection<View>,
    streamId: string,
    expected: readonly string[],
    named: string | undefined,
  ): Promise<{ target: string; checkpoint: number; views: Map<string, View | null> }> {
    const registry = registryRef(this.db, projection);
    const guess = named ?? this.lastActive.get(projection.name) ?? readModelCollectionName(projection);
    const read = async (target: string, withRegistry: boolean) => {
      const refs = [this.checkpointRef(target, streamId), ...expected.map((id) => this.viewRef(target, id))];
      const snapshots = await tx.getAll(...(withRegistry ? [registry, ...refs] : refs));
      return withRegistry ? { registry: snapshots[0], rest: snapshots.slice(1) } : { registry: undefined, rest: snapshots };
    };
    let snapshots = await read(guess, named === undefined);
    const target = named ?? activeTargetOf(snapshots.registry, projection);
    if (named === undefined) this.lastActive.set(projection.name, target);
    if (target !== guess) snapshots = await read(target, false);
    const [checkpointSnapshot, ...viewSnapshots] = snapshots.rest;
    return {
      target,
      checkpoint: (checkpointSnapshot!.get('version') as number | undefined) ?? 0,
      views: new Map(viewSnapshots.map((snapshot, i) => [expected[i]!, viewOfSnapshot<View>(snapshot!)])),
    };
  }

  /**
   * What an apply brings in after the checkpoint, in stream order: the events of a gap (read from the store) and the
   * delivered one, as the projection reads them, with the documents each writes. `relevant` counts the events the
   * projection reads; an event that fails to lift or route is passed over if an operator skipped it.
   */
  private async eventsToApply(
    tx: Transaction,
    projection: AnyProjection,
    event: EventEnvelope,
    delivered: Promise<EventEnvelope | null>,
    checkpoint: number,
  ): Promise<{ relevant: number; routed: Routed[]; gapFilled: number }> {
    const missing =
      event.version > checkpoint + 1
        ? await inSpan(
            'gap fill',
            { hop: 'projector', attributes: { 'eventloom.from_version': checkpoint + 1, 'eventloom.to_version': event.version - 1 } },
            () => this.store.readStream(event.streamId, { fromVersion: checkpoint + 1, toVersion: event.version - 1 }),
          )
        : [];
    if (missing.length !== event.version - checkpoint - 1) {
      throw new Error(
        `Stream ${event.streamId} has ${missing.length} events between ${checkpoint} and ${event.version}; expected ${event.version - checkpoint - 1}`,
      );
    }
    const relevant: EventEnvelope[] = [];
    for (const e of [...missing, event]) {
      try {
        const lifted = await (e === event ? delivered : this.lift(projection, e));
        if (lifted) relevant.push(lifted);
      } catch (error) {
        await this.passOverIfSkipped(tx, projection, e, error);
      }
    }
    const routed: Routed[] = [];
    for (const e of relevant) {
      try {
        routed.push({ event: e, ids: documentIdsOf(projection, e as never) });
      } catch (error) {
        await this.passOverIfSkipped(tx, projection, e, error);
      }
    }
    return { relevant: relevant.length, routed, gapFilled: missing.length };
  }

  /** A rolled-up view's apply: each event's contribution in a document of its own, no view read or written. */
  private async writeContributions(
    tx: Transaction,
    projection: AnyProjection,
    routed: readonly Routed[],
    written: Written,
    trace: LiveTrace | undefined,
  ): Promise<void> {
    for (const { event, ids } of routed) {
      try {
        const part = projection.evolve(null, event as never);
        for (const shard of ids) {
          tx.set(viewPartsOf(this.db, written.target).doc(contributionId(shard, event.eventId)), contributionDocument(shard, part, trace));
          written.contributedTo.set(shard, (written.contributedTo.get(shard) ?? 0) + 1);
        }
      } catch (error) {
        await this.passOverIfSkipped(tx, projection, event, error);
      }
    }
  }

  /** Evolves the views the events write (reading those a gap's events add) and writes each changed one once. */
  private async writeViews<View>(
    tx: Transaction,
    projection: AnyProjection<View>,
    routed: readonly Routed[],
    views: Map<string, View | null>,
    written: Written,
    trace: LiveTrace | undefined,
    layout: StreamPartitions,
  ): Promise<void> {
    const { target } = written;
    // Gap events may write documents the delivered event does not.
    const unread = [...new Set(routed.flatMap((r) => r.ids))].filter((id) => !views.has(id));
    if (unread.length > 0) {
      const more = await tx.getAll(...unread.map((id) => this.viewRef(target, id)));
      for (const [i, snapshot] of more.entries()) views.set(unread[i]!, viewOfSnapshot<View>(snapshot));
    }
    const changed = new Set<string>();
    for (const { event, ids } of routed) {
      try {
        const next = ids.map((id) => [id, projection.evolve(views.get(id) ?? null, event as never)] as const);
        for (const [id, view] of next) {
          views.set(id, view);
          changed.add(id);
        }
      } catch (error) {
        await this.passOverIfSkipped(tx, projection, event, error);
      }
    }
    for (const id of changed) tx.set(this.viewRef(target, id), withViewTrace(storedView(layout, id, views.get(id) as object), trace));
    if (projection.sharded?.queryFields) {
      for (const { event } of routed) {
        if (mayChangeSummary(projection, event)) for (const id of projection.viewIds(event as never)) written.viewIds.add(id);
      }
    }
  }

  /**
   * An event an operator chose to skip (a dead letter that can't be applied) is passed over; any other failure
   * stands. Skip markers are only looked up when an event fails, so healthy events cost no extra read.
   */
  private async passOverIfSkipped(tx: Transaction, projection: AnyProjection, event: EventEnvelope, error: unknown): Promise<void> {
    const marker = await tx.get(this.skipMarkerRef(projection, event.eventId));
    if (!marker.exists) throw error;
  }

  /**
   * Rolls up a shard this projector just contributed to once it has written ROLL_UP_AFTER_CONTRIBUTIONS
   * contributions to it since its last roll-up of it, and not within ROLL_UP_INTERVAL_MS of that roll-up. Most
   * applies then answer their push without a roll-up (each costs a query and a transaction: three round trips in
   * the push), and the one that rolls up folds at least that many contributions for one shard write. What stays
   * pending is bounded, and reads merge it exactly: at most ROLL_UP_AFTER_CONTRIBUTIONS - 1 contributions per
   * shard and projector instance, plus what arrives within the interval when contributions come faster than that;
   * the scheduled sweep folds what the last events of a burst left. The count is this instance's own: another
   * instance's roll-up may have folded some of them already, which only makes the next roll-up fold fewer.
   *
   * A roll-up the shard's marker refused (another instance rolled it up within the interval), or that left more
   * than one roll-up folds, keeps the count, so the next apply after the interval tries again. A roll-up that
   * fails fails the delivery, as a summary refresh does: the event is applied already, so its redelivery is a
   * duplicate, and the next roll-up of the shard folds what this one did not.
   */
  private async rollUpIfDue(projection: AnyProjection, target: string, shard: string, contributions: number): Promise<void> {
    const intervalMs = this.options.rollUpIntervalMs === undefined ? ROLL_UP_INTERVAL_MS : this.options.rollUpIntervalMs;
    if (intervalMs === null) return;
    const key = `${target}/${shard}`;
    const state = this.shardContributions.get(key) ?? { contributions: 0, lastRollUpAt: Number.NEGATIVE_INFINITY };
    this.shardContributions.set(key, state);
    state.contributions += contributions;
    const now = this.options.now ?? (() => new Date());
    const at = now().getTime();
    if (state.contributions < (this.options.rollUpAfter ?? ROLL_UP_AFTER_CONTRIBUTIONS) || at - state.lastRollUpAt < intervalMs) return;
    state.lastRollUpAt = at;
    // Contributions this instance writes while the roll-up runs may come after its query: they stay counted.
    const counted = state.contributions;
    const outcome = await rollUpShard(this.db, projection, target, shard, { minIntervalMs: intervalMs, now });
    if (!outcome.more) state.contributions -= counted;
  }

  /**
   * Rolls up every shard of a rolled-up read model's active target that has contributions pending: for the
   * scheduled sweep, which folds what the last events of a burst left (no later apply rolls them up).
   */
  async sweepRollUps(projection: AnyProjection): Promise<{ readonly shards: number; readonly folded: number }> {
    if (!projection.sharded?.rolledUp) return { shards: 0, folded: 0 };
    return rollUpPending(this.db, projection, await this.activeTarget(projection));
  }

  /**
   * Brings the summary of a sharded view (ShardedViews.queryFields) in line with its shards. Most calls find it
   * so in one consistent read of the summary and the shards, and write nothing; when it differs, a transaction
   * reads them again and writes it. Whichever call reads last, after the last shard write, leaves it right:
   * a call that found it right saw it right at a moment no earlier than the shard writes before it, and only
   * a transaction, which reads what is current, changes it afterwards.
   */
  async refreshSummary<View>(projection: AnyProjection<View>, target: string, viewId: string): Promise<void> {
    if (!projection.sharded?.queryFields) return;
    const summaryRef = this.viewRef(target, viewId);
    const refs = [summaryRef, ...viewDocumentIds(projection, viewId).map((id) => this.viewRef(target, id))];
    const compare = (snapshots: DocumentSnapshot[]) => {
      const shards = snapshots.slice(1).map((s) => viewOfSnapshot<View>(s));
      const wanted = summaryOf(projection, viewFromDocuments(projection, shards));
      const stored = snapshots[0]!.exists ? snapshots[0]!.data() : null;
      return { wanted, same: isDeepStrictEqual(wanted, stored) };
    };
    if (compare(await this.db.getAll(...refs)).same) return;
    await this.db.runTransaction(async (tx) => {
      const { wanted, same } = compare(await tx.getAll(...refs));
      if (same) return;
      if (wanted) tx.set(summaryRef, wanted);
      else tx.delete(summaryRef);
    });
  }

  /** Every summary of a target, after a rebuild wrote its shards in batches (which keep no summaries). */
  async refreshAllSummaries<View>(projection: AnyProjection<View>, target: string): Promise<void> {
    if (!projection.sharded?.queryFields) return;
    const documents = await viewsOf(this.db, target).select().get();
    const viewIds = [...new Set(documents.docs.map((doc) => doc.id.replace(/~\d+$/, '')))];
    const concurrency = 16;
    for (let at = 0; at < viewIds.length; at += concurrency) {
      await Promise.all(viewIds.slice(at, at + concurrency).map((id) => this.refreshSummary(projection, target, id)));
    }
  }

  /**
   * Applies a run of events, in commit order, to a target no projector writes yet (a rebuild's or replay's
   * generation before it goes live): folded in memory, then each changed document written once, with the
   * checkpoint of every stream seen, in one batch that `alsoWrite` adds to (a rebuild's cursor), so a crash
   * leaves the run wholly applied or not at all. Events at or below a stream's checkpoint are passed over,
   * as apply() does, so a run may be applied again after a crash. A run that would need more writes than
   * one batch takes is split in two, each committed on its own: `alsoWrite` learns how many events of the
   * run each batch has taken in.
   */
  async applyRun<View>(
    projection: AnyProjection<View>,
    target: string,
    events: readonly EventEnvelope[],
    alsoWrite: (batch: WriteBatch, eventsCommitted: number) => void = () => {},
    committedBefore = 0,
  ): Promise<number> {
    if (events.length === 0) return 0;
    const streamIds = [...new Set(events.map((e) => e.streamId))];
    const checkpointSnapshots = await this.db.getAll(...streamIds.map((id) => this.checkpointRef(target, id)));
    const checkpoints = new Map(streamIds.map((id, i) => [id, (checkpointSnapshots[i]!.get('version') as number | undefined) ?? 0]));
    const last = new Map<string, EventEnvelope>();

    const routed: Array<{ event: EventEnvelope; ids: string[] }> = [];
    for (const e of events) {
      if (e.version <= checkpoints.get(e.streamId)!) continue;
      checkpoints.set(e.streamId, e.version);
      last.set(e.streamId, e);
      try {
        const lifted = await this.lift(projection, e);
        if (lifted) routed.push({ event: lifted, ids: documentIdsOf(projection, lifted as never) });
      } catch (error) {
        await this.skippedOutsideTransaction(projection, e, error);
      }
    }
    const ids = [...new Set(routed.flatMap((r) => r.ids))];
    if (ids.length + last.size + 1 > MAX_WRITES_PER_BATCH && events.length > 1) {
      const half = Math.ceil(events.length / 2);
      const first = await this.applyRun(projection, target, events.slice(0, half), alsoWrite, committedBefore);
      return first + (await this.applyRun(projection, target, events.slice(half), alsoWrite, committedBefore + half));
    }
    const rolledUp = Boolean(projection.sharded?.rolledUp);
    const snapshots = ids.length > 0 ? await this.db.getAll(...ids.map((id) => this.documentRef(projection, target, id))) : [];
    const views = new Map<string, View | null>(snapshots.map((s, i) => [ids[i]!, rolledUp ? partOf<View>(s) : viewOfSnapshot<View>(s)]));
    const written = new Set<string>();
    for (const { event: e, ids: eventIds } of routed) {
      try {
        const next = eventIds.map((id) => [id, projection.evolve(views.get(id) ?? null, e as never)] as const);
        for (const [id, view] of next) {
          views.set(id, view);
          written.add(id);
        }
      } catch (error) {
        await this.skippedOutsideTransaction(projection, e, error);
      }
    }
    const layout = await streamPartitions(this.db);
    const batch = this.db.batch();
    // A rolled-up view's shards are written whole: nobody contributes to a generation before it goes live.
    for (const id of written) {
      batch.set(
        this.documentRef(projection, target, id),
        rolledUp ? shardDocument(id, views.get(id)) : storedView(layout, id, views.get(id) as object),
      );
    }
    const now = new Date();
    for (const [streamId, e] of last) {
      batch.set(this.checkpointRef(target, streamId), checkpointOf(e, now, layout));
    }
    alsoWrite(batch, committedBefore + events.length);
    await batch.commit();
    return routed.length;
  }

  private async skippedOutsideTransaction(projection: AnyProjection, event: EventEnvelope, error: unknown): Promise<void> {
    if (!(await this.skipMarkerRef(projection, event.eventId).get()).exists) throw error;
  }

  /** The views a delivered event writes; [] when it cannot be lifted (the apply finds out why). */
  private async viewIdsHint(projection: AnyProjection, delivered: Promise<EventEnvelope | null>): Promise<string[]> {
    try {
      const lifted = await delivered;
      return lifted ? projection.viewIds(lifted as never) : [];
    } catch {
      return [];
    }
  }

  /** The documents a delivered event will write, to read them with the checkpoint; [] when that is not known yet. */
  private async documentIdsHint(projection: AnyProjection, delivered: Promise<EventEnvelope | null>): Promise<string[]> {
    // A rolled-up view's contributions are written without reading anything.
    if (projection.sharded?.rolledUp) return [];
    try {
      const lifted = await delivered;
      return lifted ? documentIdsOf(projection, lifted as never) : [];
    } catch {
      // Refused or unroutable: the apply finds out again, and looks for a skip marker.
      return [];
    }
  }
}
