/**
 * Event schema versions. Every event type has a zod schema per version; events stored at an older
 * version are lifted by upcasters when read, so deciders and projectors only ever see the current
 * version. An unknown type, or a version newer than this code knows (written by a newer deployment),
 * is a typed error: a projector dead-letters it instead of guessing.
 */
import type { z } from 'zod';
import { EventloomError } from './errors.ts';
import type { DomainEvent, EventEnvelope, NewEvent } from './eventStore.ts';
import type { PersonalDataDeclaration } from './personalData.ts';

export class UnknownEventTypeError extends EventloomError {
  readonly code = 'EVENT.UNKNOWN_TYPE';
  constructor(readonly eventType: string) {
    super(`Unknown event type "${eventType}"`);
  }
}

export class UnsupportedEventVersionError extends EventloomError {
  readonly code = 'EVENT.UNSUPPORTED_VERSION';
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly currentVersion: number,
  ) {
    super(`${eventType} v${schemaVersion} is newer than this code knows (v${currentVersion})`);
  }
}

export class InvalidEventDataError extends EventloomError {
  readonly code = 'EVENT.INVALID_DATA';
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly issues: string,
  ) {
    super(`${eventType} v${schemaVersion} does not match its schema: ${issues}`);
  }
}

/**
 * One event type: its schema at every version, and an upcaster from each old version to the next.
 * `versions[n]` is the schema of version n; the highest is current.
 */
export interface EventTypeDefinition {
  readonly type: string;
  readonly versions: Readonly<Record<number, z.ZodType<object>>>;
  /** `upcasters[n]` turns data of version n into data of version n + 1. */
  readonly upcasters?: Readonly<Record<number, (data: never) => object>>;
  /** Its personal fields and whose they are: stored sealed with the subject's data key (see personalData.ts). */
  readonly personalData?: PersonalDataDeclaration;
}

/**
 * The definitions of one module's event types, keyed by type: every type of its event union has one,
 * and only those (an extra or a missing key does not compile).
 */
export function defineEventTypes<E extends DomainEvent>(
  definitions: {
    readonly [Type in E['type']]: Omit<EventTypeDefinition, 'type'>;
  },
): EventTypeDefinition[] {
  return Object.entries<Omit<EventTypeDefinition, 'type'>>(definitions).map(([type, definition]) => ({ type, ...definition }));
}

/**
 * An event's data as a schema version describes it, read-only all the way down: event types are inferred
 * from their current schema (`DomainEvent<'X', EventData<typeof XV2>>`), so the shape is written once.
 */
export type EventData<Schema extends z.ZodType<object>> = DeepReadonly<z.output<Schema>>;

type DeepReadonly<T> =
  T extends ReadonlyArray<infer Item>
    ? ReadonlyArray<DeepReadonly<Item>>
    : T extends object
      ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
      : T;

export class EventRegistry {
  private readonly types = new Map<string, EventTypeDefinition & { current: number }>();

  constructor(definitions: readonly EventTypeDefinition[]) {
    for (const definition of definitions) {
      const versions = Object.keys(definition.versions).map(Number);
      const current = Math.max(...versions);
      for (let v = 1; v < current; v++) {
        if (!definition.upcasters?.[v]) throw new Error(`${definition.type}: no upcaster from v${v} to v${v + 1}`);
      }
      this.types.set(definition.type, { ...definition, current });
    }
  }

  knows(type: string): boolean {
    return this.types.has(type);
  }

  /** The personal fields of a type, if it has any. */
  personalDataOf(type: string): PersonalDataDeclaration | undefined {
    return this.types.get(type)?.personalData;
  }

  currentVersion(type: string): number {
    const definition = this.types.get(type);
    if (!definition) throw new UnknownEventTypeError(type);
    return definition.current;
  }

  /** The event at the current version of its type, validated. */
  upcast<E extends EventEnvelope>(event: E): E {
    const definition = this.types.get(event.type);
    if (!definition) throw new UnknownEventTypeError(event.type);
    if (event.schemaVersion > definition.current) {
      throw new UnsupportedEventVersionError(event.type, event.schemaVersion, definition.current);
    }
    let data: object = this.validate(definition, event.schemaVersion, event.data);
    for (let v = event.schemaVersion; v < definition.current; v++) {
      data = this.validate(definition, v + 1, definition.upcasters![v]!(data as never));
    }
    return { ...event, schemaVersion: definition.current, data } as E;
  }

  /** Stamps a new event with its type's current version, after checking its data against that schema. */
  stamp(event: NewEvent): NewEvent {
    const current = this.currentVersion(event.type);
    this.validate(this.types.get(event.type)!, current, event.data);
    return { ...event, schemaVersion: current };
  }

  private validate(definition: EventTypeDefinition, version: number, data: unknown): object {
    const schema = definition.versions[version];
    if (!schema) throw new UnsupportedEventVersionError(definition.type, version, this.currentVersion(definition.type));
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new InvalidEventDataError(
        definition.type,
        version,
        parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      );
    }
    return parsed.data;
  }
}
