import { DomainError } from '../core/errors.ts';

export class CustomerNotFoundError extends DomainError {
  readonly code = 'CUSTOMER.NOT_FOUND';
  constructor(readonly customerId: string) {
    super(`Customer ${customerId} is not registered`);
  }
}

export class CustomerAlreadyRegisteredError extends DomainError {
  readonly code = 'CUSTOMER.ALREADY_REGISTERED';
  constructor(readonly customerId: string) {
    super(`Customer ${customerId} is already registered`);
  }
}
