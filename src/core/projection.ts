import type { DomainEvent, EventEnvelope } from './eventStore.ts';

/**
 * A read model as a pure function of events. `viewIds` says which view documents an event touches;
 * `evolve` computes a document's next state. The runtime that applies it (idempotently, in stream
 * order, filling gaps from the event store) lives in an adapter.
 */
export interface Projection<View, E extends DomainEvent = DomainEvent> {
  readonly name: string;
  /** Bumped when the view's shape or meaning changes: a new version is rebuilt beside the old one. */
  readonly version: number;
  /** Event types this projection reads; others are acknowledged and skipped. */
  readonly eventTypes: readonly E['type'][];
  viewIds(event: EventEnvelope<E>): string[];
  evolve(view: View | null, event: EventEnvelope<E>): View;
}

export function handles<E extends DomainEvent>(projection: Projection<unknown, E>, event: EventEnvelope): event is EventEnvelope<E> {
  return (projection.eventTypes as readonly string[]).includes(event.type);
}

/** Any projection, whatever events it reads (its `evolve` is contravariant in them, hence `any`). */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyProjection<View = unknown> = Projection<View, any>;
