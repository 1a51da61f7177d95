/**
 * The event store as the application sees it: reads come back upcast to the current version of each
 * event type, and appends are stamped with (and checked against) the current version. Wraps any
 * adapter, so the Firestore and in-memory stores stay plain storage.
 *
 * With personal-data protection, appends are sealed after they are validated (the schemas describe clear
 * text) and reads are opened before they are upcast, so storage only ever holds sealed personal fields
 * and the application only ever sees clear text or `[erased]`.
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
import type { PersonalDataProtection } from './personalData.ts';

export class VersionedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly registry: EventRegistry,
    private readonly personalData?: PersonalDataProtection,
  ) {}

  async appendToStreams(appends: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult> {
    const stamped = appends.map((a) => ({ ...a, events: a.events.map((e) => this.registry.stamp(e)) }));
    if (!this.personalData) return this.inner.appendToStreams(stamped, options);
    const subjects = this.personalData.subjectsOf(stamped.flatMap((a) => a.events));
    const idempotency = options?.idempotency && subjects.length > 0 ? { ...options.idempotency, subjects } : options?.idempotency;
    const result = await this.inner.appendToStreams(
      await this.personalData.seal(stamped),
      idempotency ? { ...options, idempotency } : options,
    );
    // The caller gets back what it appended, in clear text.
    const clear = new Map(stamped.flatMap((a) => a.events).map((e) => [e.eventId, e.data]));
    return { ...result, events: result.events.map((e) => ({ ...e, data: clear.get(e.eventId) ?? e.data })) };
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<EventEnvelope[]> {
    const stored = await this.inner.readStream(streamId, options);
    const opened = this.personalData ? await this.personalData.open(stored) : stored;
    return opened.map((e) => this.registry.upcast(e));
  }

  findIdempotencyRecord(key: string): Promise<IdempotencyRecord | null> {
    return this.inner.findIdempotencyRecord(key);
  }
}
