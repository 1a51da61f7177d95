/** Stored-event envelopes for projection specifications: given these events, then this view. */
import type { DomainEvent, EventEnvelope } from '../../src/core/eventStore.ts';
import { documentIdsOf, viewDocumentIds, viewFromDocuments, type Projection } from '../../src/core/projection.ts';

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

/**
 * Applies events the way the projector does to a sharded projection (each to its stream's shard of every
 * view it names, in the given order), and reads the views back as the read side does: merged from their shards.
 */
export function projectSharded<View, E extends DomainEvent>(
  projection: Projection<View, E>,
  events: ReadonlyArray<EventEnvelope<E>>,
): { views: Record<string, View>; documents: Record<string, View> } {
  const documents: Record<string, View> = {};
  const viewIds = new Set<string>();
  for (const event of events) {
    if (!(projection.eventTypes as readonly string[]).includes(event.type)) continue;
    for (const id of projection.viewIds(event)) viewIds.add(id);
    for (const id of documentIdsOf(projection, event)) documents[id] = projection.evolve(documents[id] ?? null, event);
  }
  const views: Record<string, View> = {};
  for (const id of viewIds) {
    const view = viewFromDocuments(
      projection,
      viewDocumentIds(projection, id).map((documentId) => documents[documentId] ?? null),
    );
    if (view) views[id] = view;
  }
  return { views, documents };
}
