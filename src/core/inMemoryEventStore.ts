/** An event store in process memory, for unit tests of deciders and handlers. Passes the same contract suite. */
import { ConcurrencyError } from './errors.ts';
import type {
  AppendOptions,
  AppendResult,
  EventEnvelope,
  EventStore,
  IdempotencyRecord,
  ReadStreamOptions,
  StreamAppend,
} from './eventStore.ts';

export class InMemoryEventStore implements EventStore {
  private readonly streams = new Map<string, EventEnvelope[]>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();

  async appendToStreams(appends: readonly StreamAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    // Check everything first so the append is all-or-nothing.
    for (const { streamId, expectedVersion } of appends) {
      const current = this.streams.get(streamId)?.length ?? 0;
      if (expectedVersion !== 'any' && expectedVersion !== current) {
        throw new ConcurrencyError(streamId, expectedVersion);
      }
    }
    if (options.idempotency && this.idempotency.has(options.idempotency.key)) {
      throw new ConcurrencyError(appends[0]?.streamId ?? '', -1);
    }
    const written: EventEnvelope[] = [];
    const streams = appends.map(({ streamId, events }) => {
      const stream = this.streams.get(streamId) ?? [];
      for (const event of events) {
        const envelope: EventEnvelope = {
          eventId: event.eventId,
          streamId,
          version: stream.length + 1,
          type: event.type,
          schemaVersion: event.schemaVersion ?? 1,
          data: structuredClone(event.data),
          occurredAt: event.occurredAt,
          metadata: structuredClone(event.metadata),
        };
        stream.push(envelope);
        written.push(envelope);
      }
      this.streams.set(streamId, stream);
      return { streamId, nextExpectedVersion: stream.length };
    });
    if (options.idempotency) this.idempotency.set(options.idempotency.key, structuredClone(options.idempotency));
    return { streams, events: written };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<EventEnvelope[]> {
    const from = options.fromVersion ?? 1;
    const to = options.toVersion ?? Number.POSITIVE_INFINITY;
    return (this.streams.get(streamId) ?? []).filter((e) => e.version >= from && e.version <= to);
  }

  async findIdempotencyRecord(key: string): Promise<IdempotencyRecord | null> {
    return this.idempotency.get(key) ?? null;
  }
}
