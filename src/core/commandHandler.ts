/**
 * Runs a command: load the streams it needs, decide, append every stream's new events in one atomic
 * commit, and retry from the start when another writer got to one of those streams first.
 *
 * With an idempotency key, the first result is stored in the same commit as the events, so a
 * repeated command (sequential or concurrent) appends once and gets the same result back. A key belongs
 * to its caller and its command: the same key from another principal, or for another command, is a
 * different key. It is honoured for IDEMPOTENCY_KEY_TTL_MS, after which its record expires (a TTL policy
 * deletes it).
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Decider } from './decider.ts';
import { ConcurrencyError, IdempotencyKeyReusedError } from './errors.ts';
import type { DomainEvent, EventMetadata, EventStore, IdempotencyRecord, StreamAppend } from './eventStore.ts';
import { loadAggregate, snapshotDue, type Evolution, type SnapshotStore } from './snapshots.ts';

/** Reads streams for a decision and remembers the version each was read at. */
export interface StreamLoader {
  aggregate<State, Event extends DomainEvent>(
    streamId: string,
    evolution: Evolution<State, Event>,
  ): Promise<{ state: State; version: number }>;
}

export interface Decision<Result> {
  /** New events per stream; streams with no events are left untouched. */
  readonly appends: ReadonlyArray<{ readonly streamId: string; readonly events: readonly DomainEvent[] }>;
  /** What the caller gets back (and what a replay with the same idempotency key returns): plain JSON. */
  readonly result: Result;
}

export interface RunCommandParams<Result> {
  readonly store: EventStore;
  /** Where aggregates with a snapshot policy keep their snapshots; without it, streams are read whole. */
  readonly snapshots?: SnapshotStore;
  /** Told when a background snapshot could not be saved (harmless, but worth a log line). */
  readonly onSnapshotError?: (error: unknown, streamId: string) => void;
  /** Stored in event metadata for the audit trail, and scopes idempotency keys. */
  readonly commandName: string;
  /** When the command was issued (ISO 8601); becomes each event's occurredAt. */
  readonly occurredAt: string;
  readonly metadata: EventMetadata;
  /** Loads what it needs through the loader and decides. Pure apart from loading: it may run several times. */
  readonly decide: (load: StreamLoader) => Promise<Decision<Result>>;
  /**
   * The client's key, whose it is (the principal's uid), and the request it came with (not the command,
   * which holds generated ids).
   */
  readonly idempotency?: { readonly key: string; readonly scope: string; readonly request: unknown };
  readonly maxAttempts?: number;
  readonly newEventId?: () => string;
}

export type CommandOutcome<Result> = Result & {
  /** True when an idempotency key matched an earlier command and nothing new was appended. */
  readonly replayed: boolean;
};

/**
 * Each round of a contended stream has exactly one winner; the losers decide again after a jittered,
 * growing pause (up to about a second), so a burst on one hot product spreads out instead of retrying
 * in lockstep. `npm run bench` (d) measures a hot product's ceiling; test/overselling.e2e.spec.ts has
 * 50 concurrent orders for one product all resolve.
 */
export const DEFAULT_MAX_ATTEMPTS = 30;

/** How long an idempotency key is honoured: a client retrying for longer than a day is starting over. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

function retryPause(attempt: number): number {
  return Math.random() * Math.min(1000, 10 * 2 ** attempt);
}

export async function runCommand<Result extends object>(params: RunCommandParams<Result>): Promise<CommandOutcome<Result>> {
  const { store, idempotency } = params;
  const maxAttempts = params.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const newEventId = params.newEventId ?? randomUUID;
  const idempotencyKey = idempotency ? idempotencyStorageKey(params.commandName, idempotency.scope, idempotency.key) : undefined;
  const requestHash = idempotency ? hashRequest(params.commandName, idempotency.request) : undefined;

  const earlierResult = async (): Promise<CommandOutcome<Result> | null> => {
    if (!idempotency || !idempotencyKey) return null;
    const record = await store.findIdempotencyRecord(idempotencyKey);
    if (!record) return null;
    if (record.requestHash !== requestHash) throw new IdempotencyKeyReusedError(idempotency.key);
    return { ...(record.result as Result), replayed: true };
  };

  const replay = await earlierResult();
  if (replay) return replay;

  for (let attempt = 1; ; attempt++) {
    const versions = new Map<string, number>();
    const loaded = new Map<string, { evolution: Evolution<unknown, DomainEvent>; state: unknown; snapshotVersion: number }>();
    const loader: StreamLoader = {
      async aggregate(streamId, evolution) {
        const aggregate = await loadAggregate(store, params.snapshots, streamId, evolution);
        versions.set(streamId, aggregate.version);
        loaded.set(streamId, {
          evolution: evolution as Evolution<unknown, DomainEvent>,
          state: aggregate.state,
          snapshotVersion: aggregate.snapshotVersion,
        });
        return aggregate;
      },
    };
    const decision = await params.decide(loader);
    const appends: StreamAppend[] = decision.appends
      .filter((a) => a.events.length > 0)
      .map((a) => ({
        streamId: a.streamId,
        // A stream the decision never read must be new.
        expectedVersion: versions.get(a.streamId) ?? 0,
        // The loader read each stream at the version it reports (its last event, or a snapshot taken at it),
        // so the store need not prove it again: the append is a plain create() of the next versions.
        readAtExpectedVersion: versions.has(a.streamId),
        events: a.events.map((event) => ({
          eventId: newEventId(),
          type: event.type,
          data: event.data,
          occurredAt: params.occurredAt,
          metadata: { ...params.metadata, command: params.commandName },
        })),
      }));
    const record: IdempotencyRecord | undefined =
      idempotencyKey && requestHash
        ? {
            key: idempotencyKey,
            requestHash,
            result: decision.result,
            expiresAt: new Date(Date.parse(params.occurredAt) + IDEMPOTENCY_KEY_TTL_MS).toISOString(),
          }
        : undefined;
    try {
      if (appends.length > 0 || record) await store.appendToStreams(appends, record ? { idempotency: record } : {});
      takeDueSnapshots(params, decision.appends, versions, loaded);
      return { ...decision.result, replayed: false };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      // A concurrent twin of this very command may have won: answer with its result.
      const twin = await earlierResult();
      if (twin) return twin;
      if (attempt >= maxAttempts) throw error;
      await sleep(retryPause(attempt));
    }
  }
}

/**
 * After a successful commit, snapshots every appended aggregate whose policy says it is due. Not awaited:
 * a snapshot only speeds up later loads, so the command's answer does not wait for it, and a failure is
 * harmless (the next command tries again).
 */
function takeDueSnapshots(
  { snapshots, onSnapshotError }: Pick<RunCommandParams<unknown>, 'snapshots' | 'onSnapshotError'>,
  appends: Decision<unknown>['appends'],
  versions: ReadonlyMap<string, number>,
  loaded: ReadonlyMap<string, { evolution: Evolution<unknown, DomainEvent>; state: unknown; snapshotVersion: number }>,
): void {
  if (!snapshots) return;
  for (const { streamId, events } of appends) {
    const aggregate = loaded.get(streamId);
    const policy = aggregate?.evolution.snapshots;
    if (!aggregate || !policy || events.length === 0) continue;
    const version = (versions.get(streamId) ?? 0) + events.length;
    if (!snapshotDue(policy, version, aggregate.snapshotVersion)) continue;
    const state = events.reduce((s, e) => aggregate.evolution.evolve(s, e), aggregate.state);
    snapshots
      .save({ streamId, version, stateVersion: policy.stateVersion, state })
      .catch((error: unknown) => onSnapshotError?.(error, streamId));
  }
}

export interface StreamCommandResult {
  readonly streamId: string;
  /** The stream's version after the command: the consistency token clients can wait for. */
  readonly version: number;
}

/** The common case, for `runCommand`: a command on one aggregate's stream, decided by its decider. */
export function decideOnStream<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  streamId: string,
  command: Command,
): (load: StreamLoader) => Promise<Decision<StreamCommandResult>> {
  return async (load) => {
    const { state, version } = await load.aggregate<State, Event>(streamId, decider);
    const events = decider.decide(command, state);
    return { appends: [{ streamId, events }], result: { streamId, version: version + events.length } };
  };
}

/** Keys are scoped by command and by caller, so neither two commands nor two callers collide on a key. */
export function idempotencyStorageKey(commandName: string, scope: string, key: string): string {
  return createHash('sha256').update(`${commandName}\u0000${scope}\u0000${key}`).digest('hex');
}

export function hashRequest(commandName: string, request: unknown): string {
  return createHash('sha256')
    .update(`${commandName}\u0000${stableStringify(request)}`)
    .digest('hex');
}

/** JSON with sorted object keys, so two equal requests hash equally whatever their key order. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
