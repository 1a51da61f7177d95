/** Stored-event envelopes for projection specifications: given these events, then this view. */
import type { DomainEvent, EventEnvelope } from '../../src/core/eventStore.ts';
import type { Projection } from '../../src/core/projection.ts';

export function envelope<E extends DomainEvent>(
  streamId: string,
  version: number,
  event: E,
  occurredAt = '2026-11-29T15:00:00.000Z',
): EventEnvelope<E> {
  return {
    eventId: `${streamId}#${version}`,
    streamId,
    version,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    occurredAt,
    metadata: { correlationId: 'spec', causationId: null },
  } as EventEnvelope<E>;
}

/**
 * Applies events the way the projector does (each to every view it names, in the given order) and
 * returns the views by id.
 */
export function project<View, E extends DomainEvent>(
  projection: Projection<View, E>,
  events: ReadonlyArray<EventEnvelope<E>>,
  initial: Readonly<Record<string, View>> = {},
): Record<string, View> {
  const views: Record<string, View> = { ...initial };
  for (const event of events) {
    if (!(projection.eventTypes as readonly string[]).includes(event.type)) continue;
    for (const id of projection.viewIds(event)) views[id] = projection.evolve(views[id] ?? null, event);
  }
  return views;
}
