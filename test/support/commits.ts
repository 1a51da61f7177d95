/**
 * Writing events as the write side does, for tests that start below the API: domain events stamped with the
 * current schema version of their type, appended in one commit (with its outbox record), stored envelopes
 * returned.
 */
import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventEnvelope, EventStore, NewEvent } from '../../src/core/eventStore.ts';
import { shopEvents } from '../../src/shopEvents.ts';

export interface StampOptions {
  /** When the events happened. Default: now. */
  readonly occurredAt?: string;
  /** Default: a fresh id per call. */
  readonly correlationId?: string;
}

export function stamped(events: readonly DomainEvent[], options: StampOptions = {}): NewEvent[] {
  const occurredAt = options.occurredAt ?? new Date().toISOString();
  const correlationId = options.correlationId ?? randomUUID();
  return events.map((e) =>
    shopEvents.stamp({ eventId: randomUUID(), type: e.type, data: e.data, occurredAt, metadata: { correlationId, causationId: null } }),
  );
}

/** Appends to one stream at the version given. */
export async function append(
  store: EventStore,
  streamId: string,
  expectedVersion: number,
  events: readonly DomainEvent[],
  options: StampOptions = {},
): Promise<readonly EventEnvelope[]> {
  return (await store.appendToStreams([{ streamId, expectedVersion, events: stamped(events, options) }])).events;
}

/** Appends to streams one commit at a time, keeping track of each stream's version, as successive commands do. */
export function committer(store: EventStore, options: StampOptions = {}) {
  const versions = new Map<string, number>();
  return async (streamId: string, events: readonly DomainEvent[]): Promise<readonly EventEnvelope[]> => {
    const expectedVersion = versions.get(streamId) ?? 0;
    const appended = await append(store, streamId, expectedVersion, events, options);
    versions.set(streamId, expectedVersion + events.length);
    return appended;
  };
}
