/**
 * The bounded queue between a shared listener and one subscriber. The listener pushes at the rate Firestore
 * delivers; the subscriber pulls at the rate its transport drains (yoga's SSE writer waits for `drain`,
 * graphql-ws waits for each frame to be written), so a slow or vanished client stops pulling and whatever
 * arrives meanwhile is folded into what is already waiting instead of piling up:
 *
 * - State-shaped streams (a view, a query's whole result) keep only the latest value: every emission is a
 *   full snapshot, so the one that superseded another carries everything the client needs. At most one
 *   value waits, and it is the very object every other subscriber of the listener got: no copy.
 * - Change-shaped streams (a live query's added/modified/removed) merge by document id, keeping each
 *   document's latest change. That is bounded by the documents that changed while the client was not
 *   reading; past `limit` of them the subscriber is dropped with `SubscriberOverflowError`
 *   (`SUBSCRIPTION.OVERFLOW`), since resubscribing gives it a fresh first snapshot cheaper than the backlog.
 */
import { EventloomError } from '../core/errors.ts';
import type { ViewChange } from '../core/readModels.ts';

export interface OverflowPolicy<T> {
  /** Folds a value arriving into the one already waiting (undefined when none is). */
  merge(waiting: T | undefined, arriving: T): T;
  /** How much a waiting value holds, measured against `limit`. */
  size(waiting: T): number;
  readonly limit: number;
}

/** Keeps the latest value only: for streams whose every value is a full snapshot. */
export function conflate<T>(): OverflowPolicy<T> {
  return { merge: (_waiting, arriving) => arriving, size: () => 1, limit: 1 };
}

/**
 * Folds a live query's change batches into one, each document's latest change winning, so that what
 * waits for a subscriber is bounded by the documents that changed, not by how often they did.
 */
export function mergeChanges<View>(limit: number): OverflowPolicy<Array<ViewChange<View>>> {
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
        else if (before.type === 'added')
          change.type === 'removed' ? byId.delete(change.id) : byId.set(change.id, { ...change, type: 'added' });
        // It left and came back: to the subscriber, it changed.
        else if (before.type === 'removed') byId.set(change.id, change.type === 'removed' ? change : { ...change, type: 'modified' });
        else byId.set(change.id, change.type === 'added' ? { ...change, type: 'modified' } : change);
      }
      return [...byId.values()];
    },
  };
}

/** The subscriber fell so far behind that the server stopped buffering for it. */
export class SubscriberOverflowError extends EventloomError {
  readonly code = 'SUBSCRIPTION.OVERFLOW';

  constructor(readonly limit: number) {
    super(`The subscriber fell more than ${limit} changes behind and was dropped; subscribe again for a fresh snapshot.`);
  }
}

export class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  private waiting: { value: T } | undefined;
  private reader: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  private failure: { error: unknown } | undefined;
  private ended = false;
  private released = false;

  /** `onEnd` runs once, however the queue ends: the consumer returned, or it failed. */
  constructor(
    private readonly policy: OverflowPolicy<T>,
    private readonly onEnd: () => void,
  ) {}

  /** Values waiting for the subscriber to pull: 0 or 1 (one folded value). */
  get pending(): number {
    return this.waiting ? 1 : 0;
  }

  push(value: T): void {
    if (this.ended || this.failure) return;
    if (this.reader) {
      const reader = this.reader;
      this.reader = undefined;
      reader.resolve({ value, done: false });
      return;
    }
    const merged = this.policy.merge(this.waiting?.value, value);
    // A value arriving to an empty queue is always taken (a live query's first snapshot may be large);
    // the limit bounds what piles up behind it.
    if (this.waiting && this.policy.size(merged) > this.policy.limit) {
      this.fail(new SubscriberOverflowError(this.policy.limit));
      return;
    }
    this.waiting = { value: merged };
  }

  /** Ends the stream with an error, dropping anything waiting: the next pull rejects. */
  fail(error: unknown): void {
    if (this.ended || this.failure) return;
    this.waiting = undefined;
    if (this.reader) {
      const reader = this.reader;
      this.reader = undefined;
      this.end();
      reader.reject(error);
      return;
    }
    this.failure = { error };
    // Nothing is buffered for a failed subscriber: let go of the listener now, not when it next pulls.
    this.release();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.waiting) {
      const { value } = this.waiting;
      this.waiting = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      this.end();
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.reader) return Promise.reject(new Error('SubscriberQueue: next() called while another next() is pending'));
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.waiting = undefined;
    this.failure = undefined;
    const reader = this.reader;
    this.reader = undefined;
    reader?.resolve({ value: undefined, done: true });
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.onEnd();
  }
}
