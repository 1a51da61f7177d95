/**
 * Crypto-shredding: the personal fields of events are stored encrypted with a data key of their subject (the
 * customer they are about), so destroying that one key erases the customer from every copy of every event at
 * once: the event store, the outbox, Pub/Sub's retained messages, dead letters, backups.
 *
 * Which fields are personal, and whose, is declared with each event type (`personalData` in its definition,
 * see eventRegistry.ts). A sealed field is a self-describing map in place of the value (algorithm, key id,
 * iv, tag, ciphertext), so clear-text events written before encryption existed stay readable as they are.
 * Reading opens sealed fields back to clear text, or to `[erased]` once the subject's key is gone; every
 * reader (deciders, projectors, the audit trail, rebuilds, the relay) goes through `open`, so they all agree.
 *
 * AES-256-GCM with a random 96-bit iv per value. The additional authenticated data binds a ciphertext to its
 * event and field, so a sealed value copied into another event or field does not open: that, a changed
 * byte, or the wrong key material is `PersonalDataTamperedError`, never a silent `[erased]`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EventloomError } from './errors.ts';
import type { EventRegistry } from './eventRegistry.ts';
import type { EventEnvelope, NewEvent, StreamAppend } from './eventStore.ts';

/** What a reader sees of a personal field whose subject has been forgotten. */
export const ERASED = '[erased]';

export const SEALING_ALGORITHM = 'AES-256-GCM';

/** Which of an event type's data fields are personal, and which field names their subject. */
export interface PersonalDataDeclaration {
  /** The data field holding the subject's id (the customer id): whose key seals the fields. */
  readonly subject: string;
  /** Top-level string fields of the event's data that are personal. */
  readonly fields: readonly string[];
}

/** A personal field as stored: everything needed to open it, except the key. */
export interface SealedValue {
  readonly sealed: typeof SEALING_ALGORITHM;
  /** The subject (customer id) whose data key sealed it... */
  readonly subject: string;
  /** ...and which of their keys (a subject has one; the id tells a destroyed key from a later one). */
  readonly keyId: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

/** A subject's data key in clear, as the key ring hands it out (it never leaves the process). */
export interface DataKey {
  readonly subject: string;
  readonly keyId: string;
  /** 32 bytes. */
  readonly material: Buffer;
}

/**
 * The data keys, one per subject. Adapters keep them wrapped by a key-encryption key (Cloud KMS in
 * production) and cache them briefly.
 */
export interface DataKeyRing {
  /** The subject's key for sealing new values, created on first use; null once the subject is forgotten. */
  keyForSealing(subject: string): Promise<DataKey | null>;
  /** The key a value was sealed with, or null when it has been destroyed. */
  keyForOpening(subject: string, keyId: string): Promise<DataKey | null>;
}

/** A sealed value that does not open with its key: changed, moved to another event or field, or the wrong key. */
export class PersonalDataTamperedError extends EventloomError {
  readonly code = 'PRIVACY.TAMPERED';
  constructor(
    readonly eventId: string,
    readonly field: string,
    options?: ErrorOptions,
  ) {
    super(`The sealed field "${field}" of event ${eventId} failed authentication: changed, moved, or opened with the wrong key`, options);
  }
}

export function isSealedValue(value: unknown): value is SealedValue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.sealed === SEALING_ALGORITHM &&
    typeof v.subject === 'string' &&
    typeof v.keyId === 'string' &&
    typeof v.iv === 'string' &&
    typeof v.tag === 'string' &&
    typeof v.ciphertext === 'string'
  );
}

const additionalData = (eventId: string, field: string) => Buffer.from(`eventloom/personal-data/v1\u0000${eventId}\u0000${field}`);

/** Seals one field of one event with the subject's key. */
export function sealValue(key: DataKey, eventId: string, field: string, value: string): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(additionalData(eventId, field));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return {
    sealed: SEALING_ALGORITHM,
    subject: key.subject,
    keyId: key.keyId,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Opens one sealed field with its key; throws PersonalDataTamperedError when authentication fails. */
export function openValue(key: DataKey, eventId: string, field: string, sealed: SealedValue): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(additionalData(eventId, field));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new PersonalDataTamperedError(eventId, field, { cause: error });
  }
}

/**
 * Seals and opens the personal fields of events, as their types declare them. Sits between the versioned
 * store (which validates clear text against the schemas) and storage, and in front of every other reader
 * of stored events (projectors, the audit trail, the relay's integration events).
 */
export class PersonalDataProtection {
  constructor(
    private readonly registry: EventRegistry,
    private readonly keys: DataKeyRing,
  ) {}

  /** The subjects whose personal data these events carry (for records that must be found again to purge them). */
  subjectsOf(events: ReadonlyArray<{ readonly type: string; readonly data: object }>): string[] {
    const subjects = new Set<string>();
    for (const event of events) {
      const declaration = this.registry.personalDataOf(event.type);
      const subject = declaration && (event.data as Record<string, unknown>)[declaration.subject];
      if (typeof subject === 'string') subjects.add(subject);
    }
    return [...subjects];
  }

  /**
   * New events with their personal fields sealed. A forgotten subject's new personal data is not kept at
   * all: it is stored as `[erased]` (a payment confirmed after its customer asked to be forgotten, say).
   */
  async seal(appends: readonly StreamAppend[]): Promise<StreamAppend[]> {
    return Promise.all(
      appends.map(async (append) => ({ ...append, events: await Promise.all(append.events.map((e) => this.sealEvent(e))) })),
    );
  }

  /** Events with every sealed field opened: clear text, or `[erased]` where the key is gone. */
  async open<E extends EventEnvelope>(events: readonly E[]): Promise<E[]> {
    return Promise.all(events.map((event) => this.openEvent(event)));
  }

  async openEvent<E extends EventEnvelope>(event: E): Promise<E> {
    const data = event.data as Record<string, unknown>;
    let opened: Record<string, unknown> | null = null;
    // Any sealed top-level field opens, declared or not: the stored value says how, whatever the code declares now.
    for (const [field, value] of Object.entries(data)) {
      if (!isSealedValue(value)) continue;
      const key = await this.keys.keyForOpening(value.subject, value.keyId);
      opened ??= { ...data };
      opened[field] = key ? openValue(key, event.eventId, field, value) : ERASED;
    }
    return opened ? ({ ...event, data: opened } as E) : event;
  }

  private async sealEvent(event: NewEvent): Promise<NewEvent> {
    const declaration = this.registry.personalDataOf(event.type);
    if (!declaration) return event;
    const data = event.data as Record<string, unknown>;
    const subject = data[declaration.subject];
    if (typeof subject !== 'string') return event;
    const key = await this.keys.keyForSealing(subject);
    const sealed: Record<string, unknown> = { ...data };
    for (const field of declaration.fields) {
      const value = data[field];
      if (typeof value !== 'string') continue;
      sealed[field] = key ? sealValue(key, event.eventId, field, value) : ERASED;
    }
    return { ...event, data: sealed };
  }
}

/** What forgetting a customer destroyed and purged, for the operator and the audit log. */
export interface ErasureReport {
  readonly customerId: string;
  /** Events written in clear text before encryption existed, whose personal fields were overwritten. */
  readonly clearTextEventsRedacted: number;
  readonly readModelDocumentsRedacted: number;
  readonly snapshotsRedacted: number;
  readonly deadLettersRedacted: number;
  readonly idempotencyRecordsDeleted: number;
  readonly outboxRecordsRedacted: number;
}

/**
 * Carries out a customer's erasure once `CustomerForgotten` is recorded: destroys their data key and purges
 * the copies of their personal data that encryption does not cover. Idempotent, so a failed run is retried whole.
 */
export interface PersonalDataEraser {
  eraseCustomer(customerId: string): Promise<ErasureReport>;
}
