/**
 * The event store port. Adapters (Firestore, in-memory) implement it and pass the same contract suite.
 */

/** What a decider produces: a domain event without storage metadata. */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}

/** Who and why: travels with every event so the audit trail can answer both. */
export interface EventMetadata {
  readonly correlationId: string;
  readonly causationId: string | null;
  /** Who issued the command: the verified principal's uid (null for the system itself)... */
  readonly actor?: string | null;
  /** ...and the role it acted in (`customer`, `catalog`, `fulfilment`, `operator`). */
  readonly actorRole?: string | null;
  readonly command?: string | null;
  readonly [key: string]: unknown;
}

/**
 * An event as stored: the domain event plus everything needed to order, trace and upcast it.
 * Distributes over a union of events, so `switch (envelope.type)` narrows `envelope.data`.
 */
export type EventEnvelope<E extends DomainEvent = DomainEvent> = E extends DomainEvent ? EnvelopeOf<E> : never;

interface EnvelopeOf<E extends DomainEvent> {
  readonly eventId: string;
  readonly streamId: string;
  /** 1-based position in its stream. */
  readonly version: number;
  readonly type: E['type'];
  readonly schemaVersion: number;
  readonly data: E['data'];
  /** When the event happened, as decided by the command (ISO 8601). */
  readonly occurredAt: string;
  readonly metadata: EventMetadata;
}

/** An event about to be appended. The store assigns stream id and version. */
export interface NewEvent<E extends DomainEvent = DomainEvent> {
  readonly eventId: string;
  readonly type: E['type'];
  readonly schemaVersion?: number;
  readonly data: E['data'];
  readonly occurredAt: string;
  readonly metadata: EventMetadata;
}

/**
 * The version a writer saw. `0` means "the stream must not exist yet"; `'any'` skips the check
 * (the store still never writes two events at one version).
 */
export type ExpectedVersion = number | 'any';

export interface StreamAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent[];
  /**
   * The caller read the stream at `expectedVersion`: it loaded that event (or a snapshot taken at it), and
   * events are immutable, so the stream is known to have reached it. The store then only has to make sure no
   * one else wrote after it, which it can do without reading anything. Without the flag, a store must also
   * prove that the stream reached `expectedVersion` (a caller could name a version it never saw).
   */
  readonly readAtExpectedVersion?: boolean;
}

/** Stored with the events, in the same commit, so a retried command can return the first result. */
export interface IdempotencyRecord {
  readonly key: string;
  readonly requestHash: string;
  readonly result: unknown;
  /** After this instant (ISO 8601) the key may be forgotten: stores let a TTL policy delete the record. */
  readonly expiresAt: string;
  /**
   * Whose personal data the command carried (its request is hashed into `requestHash`): stores keep it, so
   * forgetting a customer finds and deletes their records.
   */
  readonly subjects?: readonly string[];
}

export interface AppendOptions {
  readonly idempotency?: IdempotencyRecord;
}

export interface AppendResult {
  /** The version each stream reached, in the order the appends were given. */
  readonly streams: ReadonlyArray<{ streamId: string; nextExpectedVersion: number }>;
  readonly events: readonly EventEnvelope[];
}

export interface ReadStreamOptions {
  /** First version to read (inclusive). Default 1. */
  readonly fromVersion?: number;
  /** Last version to read (inclusive). */
  readonly toVersion?: number;
}

export interface EventStore {
  /** Appends to one or more streams atomically: all events are stored, or none (ConcurrencyError). */
  appendToStreams(appends: readonly StreamAppend[], options?: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<EventEnvelope[]>;
  /** The result stored with an idempotency key, or null when the key is new. */
  findIdempotencyRecord(key: string): Promise<IdempotencyRecord | null>;
}
