/**
 * Errors the system expects to happen. Each carries a stable code that clients can switch on;
 * the GraphQL layer maps them to typed results in one place. Anything else is a bug and stays masked.
 */
export abstract class EventloomError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Another writer appended to the stream after we read it. Retrying the command usually resolves it. */
export class ConcurrencyError extends EventloomError {
  readonly code = 'CONCURRENCY.CONFLICT';

  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    options?: ErrorOptions,
  ) {
    super(`Stream ${streamId} is no longer at version ${expectedVersion}: another writer appended first`, options);
  }
}

/** The same idempotency key was used before for a different command payload. */
export class IdempotencyKeyReusedError extends EventloomError {
  readonly code = 'IDEMPOTENCY.KEY_REUSED';

  constructor(readonly idempotencyKey: string) {
    super(`Idempotency key "${idempotencyKey}" was already used for a different request`);
  }
}

/** A business rule rejected a command. Domain modules subclass it with their own codes. */
export abstract class DomainError extends EventloomError {}

export class ValidationError extends EventloomError {
  readonly code = 'VALIDATION';

  constructor(
    message: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}
