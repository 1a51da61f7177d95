import { DomainError } from '../core/errors.ts';
import type { OrderStatus } from './orderEvents.ts';

export class OrderNotFoundError extends DomainError {
  readonly code = 'ORDER.NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`Order ${orderId} does not exist`);
  }
}

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

export type OrderAction = 'CONFIRM_PAYMENT' | 'SHIP' | 'CANCEL';

export class InvalidOrderTransitionError extends DomainError {
  readonly code = 'ORDER.INVALID_TRANSITION';
  constructor(
    readonly orderId: string,
    readonly status: OrderStatus,
    readonly action: OrderAction,
  ) {
    super(`Order ${orderId} is ${status}: cannot ${action.toLowerCase().replace('_', ' ')}`);
  }
}
