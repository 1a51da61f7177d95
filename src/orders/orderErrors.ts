import { DomainError } from '../core/errors.ts';

export class OrderAlreadyPlacedError extends DomainError {
  readonly code = 'ORDER.ALREADY_PLACED';
  constructor(readonly orderId: string) {
    super(`Order ${orderId} has already been placed`);
  }
}

export class OrderHasNoLinesError extends DomainError {
  readonly code = 'ORDER.NO_LINES';
  constructor(readonly orderId: string) {
    super(`Order ${orderId} must have at least one line`);
  }
}
