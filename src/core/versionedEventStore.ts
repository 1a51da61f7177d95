/**
 * The event store as the application sees it: reads come back upcast to the current version of each
 * event type, and appends are stamped with (and checked against) the current version. Wraps any
 * adapter, so the Firestore and in-memory stores stay plain storage.
 */
import type { EventRegistry } from './eventRegistry.ts';
import type {
  AppendOptions,
  AppendResult,
  EventEnvelope,
  EventStore,
  IdempotencyRecord,
  ReadStreamOptions,
  StreamAppend,
} from './eventStore.ts';

export class VersionedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly registry: EventRegistry,
  ) {}

  appendToStreams(appends: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult> {
    return this.inner.appendToStreams(
      appends.map((a) => ({ ...a, events: a.events.map((e) => this.registry.stamp(e)) })),
      options,
    );
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<EventEnvelope[]> {
    return (await this.inner.readStream(streamId, options)).map((e) => this.registry.upcast(e));
  }

  findIdempotencyRecord(key: string): Promise<IdempotencyRecord | null> {
    return this.inner.findIdempotencyRecord(key);
  }
}
