/** RegisterCustomer: a signed-in user becomes a customer, under their own uid. */
import type { Customer } from './customer.ts';
import { CustomerAlreadyRegisteredError } from './customerErrors.ts';
import type { CustomerRegistered } from './customerEvents.ts';

export interface RegisterCustomer {
  readonly type: 'RegisterCustomer';
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

export function registerCustomer(command: RegisterCustomer, state: Customer): CustomerRegistered[] {
  if (state.status !== 'NONE') throw new CustomerAlreadyRegisteredError(command.customerId);
  const { type: _type, ...data } = command;
  return [{ type: 'CustomerRegistered', data }];
}
