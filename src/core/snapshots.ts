/**
 * Snapshots: an aggregate's folded state at a version, so loading a long stream reads only its tail.
 *
 * A policy says how often to take one and which shape of state it holds (`stateVersion`). A snapshot of
 * another shape, taken by older code, is ignored and replaced by the next one taken. Snapshots are an
 * optimisation only: losing one, or never writing it, changes nothing but speed.
 */
import type { DomainEvent, EventStore } from './eventStore.ts';

export interface SnapshotPolicy {
  /** Take a snapshot when at least this many events were appended since the last one. */
  readonly every: number;
  /** Bump when the state's shape changes, so snapshots of the old shape are ignored. */
  readonly stateVersion: number;
}

export interface Snapshot<State = unknown> {
  readonly streamId: string;
  readonly version: number;
  readonly stateVersion: number;
  readonly state: State;
}

export interface SnapshotStore {
  load(streamId: string): Promise<Snapshot | null>;
  /** Keeps whichever snapshot is newer: a late writer never replaces a newer snapshot with an older one. */
  save(snapshot: Snapshot): Promise<void>;
}

/** What loading needs from an aggregate: how to fold it, and optionally how to snapshot it. */
export interface Evolution<State, Event extends DomainEvent> {
  evolve(state: State, event: Event): State;
  initialState(): State;
  readonly snapshots?: SnapshotPolicy;
}

export interface LoadedAggregate<State> {
  readonly state: State;
  readonly version: number;
  /** The version of the snapshot the state was built from, 0 if none was used. */
  readonly snapshotVersion: number;
}

/** Folds a stream into state, from its latest usable snapshot when the aggregate has a policy. */
export async function loadAggregate<State, Event extends DomainEvent>(
  store: EventStore,
  snapshots: SnapshotStore | undefined,
  streamId: string,
  evolution: Evolution<State, Event>,
): Promise<LoadedAggregate<State>> {
  const policy = evolution.snapshots;
  const snapshot = policy && snapshots ? await snapshots.load(streamId) : null;
  const usable = snapshot && snapshot.stateVersion === policy?.stateVersion ? (snapshot as Snapshot<State>) : null;
  const from = usable ? usable.version + 1 : 1;
  const events = await store.readStream(streamId, { fromVersion: from });
  const state = events.reduce((s, e) => evolution.evolve(s, e as unknown as Event), usable ? usable.state : evolution.initialState());
  return { state, version: events.at(-1)?.version ?? usable?.version ?? 0, snapshotVersion: usable?.version ?? 0 };
}

/** Whether an aggregate that now stands at `version` is due a new snapshot. */
export function snapshotDue(policy: SnapshotPolicy | undefined, version: number, snapshotVersion: number): boolean {
  return policy !== undefined && version - snapshotVersion >= policy.every;
}
