/**
 * Replaces a customer's personal values wherever they occur in a stored document (read models, dead
 * letters, snapshots, outbox records of clear-text events): any string equal to one of them becomes
 * `[erased]`, at any depth. Equality, not containment, so a short name never mangles other text. Firestore
 * values that are not plain maps or arrays (timestamps, bytes, references) are left as they are.
 */
import { ERASED } from '../core/personalData.ts';

export interface Redaction<T> {
  readonly value: T;
  /** How many strings were replaced: 0 means the document need not be written. */
  readonly replaced: number;
}

export function redact<T>(value: T, personal: ReadonlySet<string>): Redaction<T> {
  let replaced = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!personal.has(v)) return v;
      replaced++;
      return ERASED;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    }
    return v;
  };
  const result = walk(value) as T;
  return { value: replaced > 0 ? result : value, replaced };
}

/** A Pub/Sub message body kept as base64 JSON (a dead letter's `data`), redacted the same way. */
export function redactBase64Json(data: string, personal: ReadonlySet<string>): Redaction<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    return { value: data, replaced: 0 };
  }
  const redacted = redact(parsed, personal);
  return redacted.replaced > 0
    ? { value: Buffer.from(JSON.stringify(redacted.value)).toString('base64'), replaced: redacted.replaced }
    : { value: data, replaced: 0 };
}
