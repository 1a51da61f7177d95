/**
 * A dead letter: a delivery a projector could not apply within its subscription's maximum delivery
 * attempts (a poison event, a malformed message, a bug). It is kept with everything needed to inspect
 * it, redrive it after a fix, or skip it.
 */
import { EventloomError } from '../core/errors.ts';
import type { EventEnvelope } from '../core/eventStore.ts';

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
