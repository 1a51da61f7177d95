/**
 * The live streams of one API instance: every subscriber reads a shared listener (ListenerHub) through
 * its own bounded queue (SubscriberQueue). Read-side adapters open streams here with a listener source
 * of their own (a Firestore onSnapshot, a poll); this keeps the count and ends them all at shutdown.
 */
import { ListenerHub, type ListenerHubStats, type ListenerSource } from './listenerHub.ts';
import { SubscriberQueue, type OverflowPolicy } from './subscriberQueue.ts';

/** A shared listener: subscribers of the same key share one source. */
export interface SharedSource<Snapshot> {
  readonly key: string;
  readonly source: ListenerSource<Snapshot>;
  /**
   * How many underlying listeners the source holds open (one per partition, say), for the stats: a number, or a
   * function when the source opens more as it runs. Default 1.
   */
  readonly listeners?: number | (() => number);
}

/** Listeners and subscribers open now, and how many subscribers have a value waiting. */
export type LiveStats = ListenerHubStats & { readonly waiting: number };

export class LiveStreams {
  private readonly hub = new ListenerHub();
  private readonly subscribers = new Set<SubscriberQueue<unknown>>();
  private ended = false;

  /**
   * A subscriber of the shared listener that `resolve` names: its own bounded queue, filled through
   * `toValue` (which sees every snapshot the subscriber is handed, in order). `resolve` is async because
   * naming a listener may take a read (which target a read model is served from, say).
   */
  open<Snapshot, Value>(
    resolve: () => Promise<SharedSource<Snapshot>>,
    policy: OverflowPolicy<Value>,
    toValue: (snapshot: Snapshot) => Value,
  ): AsyncIterableIterator<Value> {
    let leave: (() => void) | undefined;
    let ended = false;
    const queue: SubscriberQueue<Value> = new SubscriberQueue<Value>(policy, () => {
      ended = true;
      this.subscribers.delete(queue as SubscriberQueue<unknown>);
      leave?.();
    });
    if (this.ended) {
      void queue.return();
      return queue;
    }
    this.subscribers.add(queue as SubscriberQueue<unknown>);
    resolve().then(
      ({ key, source, listeners }) => {
        if (ended) return;
        const subscriber = { next: (snapshot: Snapshot) => queue.push(toValue(snapshot)), fail: (error: unknown) => queue.fail(error) };
        leave = this.hub.join(key, source, subscriber, listeners);
      },
      (error: unknown) => queue.fail(error),
    );
    return queue;
  }

  stats(): LiveStats {
    let waiting = 0;
    for (const queue of this.subscribers) waiting += queue.pending;
    return { ...this.hub.stats(), waiting };
  }

  /**
   * Completes every stream (each subscriber's next pull says done, so SSE streams send `complete` and
   * graphql-ws its `complete` messages), closes every listener, and completes any stream opened later
   * at once. For shutting down.
   */
  end(): void {
    this.ended = true;
    for (const queue of [...this.subscribers]) void queue.return();
  }
}
