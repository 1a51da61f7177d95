/**
 * Runs a command against one stream: load, decide, append, and retry on a concurrent append.
 * With an idempotency key, the first result is stored in the same commit as the events, so a
 * repeated command (sequential or concurrent) appends once and gets the same result back.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Decider } from './decider.ts';
import { ConcurrencyError, IdempotencyKeyReusedError } from './errors.ts';
import type { DomainEvent, EventMetadata, EventStore, IdempotencyRecord, NewEvent } from './eventStore.ts';

export interface CommandResult {
  readonly streamId: string;
  /** The stream's version after the command: the consistency token clients can wait for. */
  readonly version: number;
  /** The ids of the events the command appended. */
  readonly eventIds: readonly string[];
  /** True when an idempotency key matched an earlier command and nothing new was appended. */
  readonly replayed: boolean;
}

export interface HandleCommandParams<Command, Event extends DomainEvent, State> {
  readonly store: EventStore;
  readonly decider: Decider<Command, Event, State>;
  readonly streamId: string;
  readonly command: Command;
  /** Name of the command, stored in event metadata for the audit trail. */
  readonly commandName: string;
  /** When the command was issued (ISO 8601); becomes each event's occurredAt. */
  readonly occurredAt: string;
  readonly metadata: EventMetadata;
  /** The client's key and the request it came with (not the command, which holds generated ids). */
  readonly idempotency?: { readonly key: string; readonly request: unknown };
  readonly maxAttempts?: number;
  readonly newEventId?: () => string;
}

const DEFAULT_MAX_ATTEMPTS = 4;

export async function handleCommand<Command, Event extends DomainEvent, State>(
  params: HandleCommandParams<Command, Event, State>,
): Promise<CommandResult> {
  const { store, decider, streamId, command, idempotency } = params;
  const maxAttempts = params.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const newEventId = params.newEventId ?? randomUUID;
  const idempotencyKey = idempotency ? idempotencyStorageKey(params.commandName, idempotency.key) : undefined;
  const requestHash = idempotency ? hashRequest(params.commandName, idempotency.request) : undefined;

  const earlierResult = async (): Promise<CommandResult | null> => {
    if (!idempotency || !idempotencyKey) return null;
    const record = await store.findIdempotencyRecord(idempotencyKey);
    if (!record) return null;
    if (record.requestHash !== requestHash) throw new IdempotencyKeyReusedError(idempotency.key);
    return { ...(record.result as CommandResult), replayed: true };
  };

  const replay = await earlierResult();
  if (replay) return replay;

  for (let attempt = 1; ; attempt++) {
    const events = await store.readStream(streamId);
    const state = events.reduce((s, e) => decider.evolve(s, e as unknown as Event), decider.initialState());
    const version = events.at(-1)?.version ?? 0;
    const decided = decider.decide(command, state);
    const newEvents: NewEvent[] = decided.map((event) => ({
      eventId: newEventId(),
      type: event.type,
      data: event.data,
      occurredAt: params.occurredAt,
      metadata: { ...params.metadata, command: params.commandName },
    }));
    const result: CommandResult = {
      streamId,
      version: version + newEvents.length,
      eventIds: newEvents.map((e) => e.eventId),
      replayed: false,
    };
    const idempotencyRecord: IdempotencyRecord | undefined =
      idempotencyKey && requestHash ? { key: idempotencyKey, requestHash, result } : undefined;
    try {
      if (newEvents.length > 0 || idempotencyRecord) {
        await store.appendToStreams(
          [{ streamId, expectedVersion: version, events: newEvents }],
          idempotencyRecord ? { idempotency: idempotencyRecord } : {},
        );
      }
      return result;
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      // A concurrent twin of this very command may have won: answer with its result.
      const twin = await earlierResult();
      if (twin) return twin;
      if (attempt >= maxAttempts) throw error;
    }
  }
}

/** Keys are scoped by command so two commands can't collide on a client's key. */
export function idempotencyStorageKey(commandName: string, key: string): string {
  return createHash('sha256').update(`${commandName}\u0000${key}`).digest('hex');
}

export function hashRequest(commandName: string, request: unknown): string {
  return createHash('sha256').update(`${commandName}\u0000${stableStringify(request)}`).digest('hex');
}

/** JSON with sorted object keys, so two equal requests hash equally whatever their key order. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
