/**
 * Dead letters: deliveries a projector could not apply within its subscription's maximum delivery
 * attempts (a poison event, a malformed message, a bug), each kept with everything needed to inspect
 * it, redrive it after a fix, or skip it.
 *
 * Two ports: the sink records what Pub/Sub dead-lettered; the queue is the operator's side, with the two
 * ways out of it. The Firestore adapters are in src/firestore/firestoreDeadLetters.ts.
 */
import { EventloomError } from './errors.ts';
import type { EventEnvelope } from './eventStore.ts';

export type DeadLetterStatus = 'PENDING' | 'REDRIVEN' | 'SKIPPED';

export interface DeadLetter {
  /** The dead-lettered message's id on the dead-letter topic. */
  readonly id: string;
  /** The read model whose projector gave up on it (e.g. `customerOrderHistory`). */
  readonly readModel: string;
  /** The original message, exactly as published, so a redrive republishes the same bytes. */
  readonly data: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The event, when the data could be read as one. */
  readonly event: EventEnvelope | null;
  readonly deliveryAttempts: number | null;
  readonly deadLetteredAt: string;
  readonly status: DeadLetterStatus;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
}

/** A dead letter as the sink receives it: not resolved yet. */
export type NewDeadLetter = Omit<DeadLetter, 'status' | 'resolvedAt' | 'resolvedBy'>;

export interface DeadLetterListOptions {
  readonly status?: DeadLetterStatus;
  readonly readModel?: string;
  readonly first?: number;
  readonly after?: string | null;
}

export interface DeadLetterPage {
  readonly deadLetters: DeadLetter[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly endCursor: string | null;
}

export interface DeadLetterSink {
  /** Idempotent: Pub/Sub may deliver the same dead letter twice. */
  record(deadLetter: NewDeadLetter): Promise<void>;
}

export interface DeadLetterQueue {
  get(id: string): Promise<DeadLetter | null>;

  /** Oldest first, by id for a stable cursor. */
  list(options?: DeadLetterListOptions): Promise<DeadLetterPage>;

  /**
   * Republishes the original message to the domain events topic and marks the dead letter redriven;
   * projectors are idempotent, so the ones that had applied it ignore it.
   */
  redrive(id: string, actor: string | null): Promise<DeadLetter>;

  /**
   * Marks the dead letter skipped and lets its projector pass over the event from now on. Without an
   * event (the message was not one), there is nothing to pass over: the dead letter is just closed.
   */
  skip(id: string, actor: string | null): Promise<DeadLetter>;
}

export class DeadLetterNotFoundError extends EventloomError {
  readonly code = 'DEAD_LETTER.NOT_FOUND';
  constructor(readonly deadLetterId: string) {
    super(`Dead letter ${deadLetterId} does not exist`);
  }
}

export class DeadLetterAlreadyResolvedError extends EventloomError {
  readonly code = 'DEAD_LETTER.ALREADY_RESOLVED';
  constructor(
    readonly deadLetterId: string,
    readonly status: DeadLetterStatus,
  ) {
    super(`Dead letter ${deadLetterId} is already ${status}`);
  }
}
