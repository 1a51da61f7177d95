/**
 * Multiplexes live reads within one API instance: every subscriber to the same source (a read-model
 * document, a live query, a poll) shares one underlying listener, opened for the first subscriber and
 * closed when the last one leaves. The hub keeps the latest snapshot, so a subscriber joining a listener
 * that is already open gets the current state at once, without a round trip to Firestore.
 *
 * Snapshots are handed to every subscriber as the same object: they are read-only.
 */

/** Starts a listener; returns the function that stops it. `emit` and `fail` may be called only until then. */
export type ListenerSource<Snapshot> = (emit: (snapshot: Snapshot) => void, fail: (error: unknown) => void) => () => void;

export interface HubSubscriber<Snapshot> {
  next(snapshot: Snapshot): void;
  fail(error: unknown): void;
}

interface Channel<Snapshot> {
  readonly subscribers: Set<HubSubscriber<Snapshot>>;
  /** How many underlying listeners its source holds open. */
  readonly listeners: number | (() => number);
  latest: { snapshot: Snapshot } | undefined;
  stop: (() => void) | undefined;
  closed: boolean;
  failure?: { error: unknown };
}

export interface ListenerHubStats {
  /** Underlying listeners open now. */
  readonly listeners: number;
  /** Subscribers across them. */
  readonly subscribers: number;
}

export class ListenerHub {
  private readonly channels = new Map<string, Channel<unknown>>();

  /**
   * Adds a subscriber to the listener for `key`, opening it with `source` if none is open (a source may hold
   * several underlying listeners: `listeners`, for the stats). Returns the function that removes the subscriber
   * (and closes the listener if it was the last one); calling it again does nothing.
   */
  join<Snapshot>(
    key: string,
    source: ListenerSource<Snapshot>,
    subscriber: HubSubscriber<Snapshot>,
    listeners: number | (() => number) = 1,
  ): () => void {
    const channel = (this.channels.get(key) as Channel<Snapshot> | undefined) ?? this.open(key, source, listeners);
    if (channel.failure) {
      // The source failed as it opened.
      subscriber.fail(channel.failure.error);
      return () => {};
    }
    channel.subscribers.add(subscriber);
    // A late joiner starts from the current state.
    if (channel.latest) subscriber.next(channel.latest.snapshot);
    return () => {
      if (!channel.subscribers.delete(subscriber) || channel.subscribers.size > 0) return;
      this.close(key, channel);
    };
  }

  stats(): ListenerHubStats {
    let [listeners, subscribers] = [0, 0];
    for (const channel of this.channels.values()) {
      listeners += typeof channel.listeners === 'function' ? channel.listeners() : channel.listeners;
      subscribers += channel.subscribers.size;
    }
    return { listeners, subscribers };
  }

  private open<Snapshot>(key: string, source: ListenerSource<Snapshot>, listeners: number | (() => number)): Channel<Snapshot> {
    const channel: Channel<Snapshot> = { subscribers: new Set(), listeners, latest: undefined, stop: undefined, closed: false };
    this.channels.set(key, channel as Channel<unknown>);
    const stop = source(
      (snapshot) => {
        if (channel.closed) return;
        channel.latest = { snapshot };
        // A copy: a subscriber may leave (and another join) from inside its callback.
        for (const subscriber of [...channel.subscribers]) subscriber.next(snapshot);
      },
      (error) => {
        if (channel.closed) return;
        // The listener is dead: the next subscriber to this key must open a new one.
        const subscribers = [...channel.subscribers];
        channel.failure = { error };
        this.close(key, channel);
        for (const subscriber of subscribers) subscriber.fail(error);
      },
    );
    if (channel.closed) stop();
    else channel.stop = stop;
    return channel;
  }

  private close(key: string, channel: Channel<unknown>): void {
    if (channel.closed) return;
    channel.closed = true;
    channel.subscribers.clear();
    channel.latest = undefined;
    if (this.channels.get(key) === channel) this.channels.delete(key);
    const stop = channel.stop;
    channel.stop = undefined;
    stop?.();
  }
}
