/**
 * (b) Why appends use `create()` preconditions rather than read-write transactions.
 *
 * K writers append to ONE stream at the same expected version, all at once: exactly one may win. We time
 * the round and classify how each loser learns it lost:
 *  - the event store on a new stream (expected version 0): a batch of `create()`s; the losers' creates meet
 *    the winner's document and fail with ALREADY_EXISTS straight away (ConcurrencyError);
 *  - the event store on an existing stream (expected version 1): a transaction that reads the immutable last
 *    event to prove the stream reached that version, then creates the next one (ConcurrencyError on loss);
 *  - the baseline a naive store would use: a read-write transaction on a stream head document (read the
 *    version, compare, write event + head). The emulator locks pessimistically: every writer holds a read lock
 *    on the head and wants to write it, so commits wait on each other until the emulator aborts them (about
 *    3 s here); the client retries ABORTED (5 attempts by default), the retry reads the new version and the
 *    loser ends with a conflict. Losers only surface `ABORTED: Transaction lock timeout` when they run out of
 *    attempts, which the counts show if it happens.
 * Each round uses fresh streams; the variants take turns within a round so they see the same load.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { ConcurrencyError } from '../src/core/errors.ts';
import type { EventEnvelope } from '../src/core/eventStore.ts';
import { eventDocumentId, EVENTS, FirestoreEventStore, STREAMS } from '../src/firestore/firestoreEventStore.ts';
import { newOrderPlaced } from './orderPlacedEvent.ts';
import { startPhase } from './progress.ts';

export interface ContentionPlan {
  readonly writers: readonly number[];
  readonly rounds: number;
}

export const VARIANTS = [
  'store, new stream (create precondition)',
  'store, existing stream (read last event + create)',
  'naive read-write transaction on a head doc',
] as const;
export type Variant = (typeof VARIANTS)[number];
const [STORE_NEW, STORE_EXISTING, NAIVE] = VARIANTS;

type Outcome = 'succeeded' | 'conflict' | 'aborted' | 'other';

export interface ContentionResult {
  readonly variant: Variant;
  readonly writers: number;
  readonly rounds: number;
  /** Commit attempts over all writers of all rounds. */
  readonly attempts: number;
  readonly wallMs: readonly number[];
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** How long each loser took to learn it lost, from the start of its round. */
  readonly loserMs: readonly number[];
  /** Rounds in which the stream did not end up with exactly one appended event. */
  readonly brokenRounds: number;
  /** Distinct error messages (first line) with how often each was seen. */
  readonly errors: ReadonlyMap<string, number>;
}

/** ContentionResult while it is being filled in. */
interface Tally extends ContentionResult {
  rounds: number;
  attempts: number;
  readonly wallMs: number[];
  readonly outcomes: Record<Outcome, number>;
  readonly loserMs: number[];
  brokenRounds: number;
  readonly errors: Map<string, number>;
}

/** gRPC status ABORTED: the emulator gave up waiting for a lock, or a commit lost a race. */
const ABORTED = 10;

export async function measureContention(db: Firestore, plan: ContentionPlan): Promise<ContentionResult[]> {
  const store = new FirestoreEventStore(db);
  const tallies = new Map<string, Tally>();
  const tallyOf = (variant: Variant, writers: number): Tally => {
    const key = `${variant}/${writers}`;
    let tally = tallies.get(key);
    if (!tally) {
      const outcomes = { succeeded: 0, conflict: 0, aborted: 0, other: 0 };
      tally = { variant, writers, rounds: 0, attempts: 0, wallMs: [], outcomes, loserMs: [], brokenRounds: 0, errors: new Map() };
      tallies.set(key, tally);
    }
    return tally;
  };
  const phase = startPhase('(b) contention rounds', plan.rounds * plan.writers.length * VARIANTS.length);

  for (let round = 0; round < plan.rounds; round++) {
    for (const writers of plan.writers) {
      // Rotate which variant goes first so none always runs right after the slow naive round.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
      for (const variant of order) {
        const result = tallyOf(variant, writers);
        const streamId = `contended-${randomUUID()}`;
        const expectedVersion = variant === STORE_NEW ? 0 : 1;
        if (expectedVersion === 1) await seedStream(db, store, streamId);
        const append = appenderFor(variant, db, store, streamId, expectedVersion, () => result.attempts++);

        const startedAt = performance.now();
        // All K appends are issued in one synchronous loop, so they reach the emulator together.
        const settled = await Promise.all(
          Array.from({ length: writers }, () =>
            append().then(
              () => ({ outcome: 'succeeded' as Outcome, ms: performance.now() - startedAt, error: null }),
              (error: unknown) => ({ outcome: classify(error), ms: performance.now() - startedAt, error }),
            ),
          ),
        );
        result.wallMs.push(performance.now() - startedAt);
        result.rounds++;
        for (const { outcome, ms, error } of settled) {
          result.outcomes[outcome]++;
          if (outcome !== 'succeeded') result.loserMs.push(ms);
          if (error) {
            const message = errorMessage(error);
            result.errors.set(message, (result.errors.get(message) ?? 0) + 1);
          }
        }
        // The point of all three designs: one winner, one event, whatever happened to the losers.
        const appended = (await db.collection(STREAMS).doc(streamId).collection(EVENTS).get()).size - expectedVersion;
        const winners = settled.filter((s) => s.outcome === 'succeeded').length;
        if (appended !== 1 || winners !== 1) result.brokenRounds++;
        phase.tick();
      }
    }
  }
  phase.end();
  return [...tallies.values()];
}

function appenderFor(
  variant: Variant,
  db: Firestore,
  store: FirestoreEventStore,
  streamId: string,
  expectedVersion: number,
  onAttempt: () => void,
): () => Promise<void> {
  switch (variant) {
    case STORE_NEW:
    case STORE_EXISTING:
      // One attempt by construction: a batch commit, or a transaction with maxAttempts: 1.
      return async () => {
        onAttempt();
        await store.appendToStreams([{ streamId, expectedVersion, events: [newOrderPlaced()] }]);
      };
    case NAIVE:
      return () => naiveAppend(db, streamId, expectedVersion, onAttempt);
    default:
      throw new Error(`unknown variant ${variant satisfies never}`);
  }
}

/** Version 1 of a stream, as both designs keep it: the event, and for the naive one a head document too. */
async function seedStream(db: Firestore, store: FirestoreEventStore, streamId: string): Promise<void> {
  await store.appendToStreams([{ streamId, expectedVersion: 0, events: [newOrderPlaced()] }]);
  await db.collection(STREAMS).doc(streamId).set({ version: 1 });
}

/** What a store without preconditions does: lock the head, compare versions, write event and head. */
async function naiveAppend(db: Firestore, streamId: string, expectedVersion: number, onAttempt: () => void): Promise<void> {
  const head = db.collection(STREAMS).doc(streamId);
  const event = newOrderPlaced();
  // The client re-runs this function on every ABORTED commit (up to 5 attempts by default).
  await db.runTransaction(async (tx) => {
    onAttempt();
    const version = ((await tx.get(head)).get('version') as number | undefined) ?? 0;
    if (version !== expectedVersion) throw new ConcurrencyError(streamId, expectedVersion);
    const envelope: EventEnvelope = { ...event, streamId, version: version + 1, schemaVersion: 1 };
    tx.set(head.collection(EVENTS).doc(eventDocumentId(version + 1)), envelope);
    tx.set(head, { version: version + 1 });
  });
}

function classify(error: unknown): Outcome {
  if (error instanceof ConcurrencyError) return 'conflict';
  if ((error as { code?: unknown } | null)?.code === ABORTED) return 'aborted';
  return 'other';
}

function errorMessage(error: unknown): string {
  if (error instanceof ConcurrencyError) return `${error.code} (ConcurrencyError)`;
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 120);
}
