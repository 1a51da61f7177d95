/** ChangeCustomerDetails: a registered customer's new name and email, recorded whole. */
import { existingCustomer, type Customer } from './customer.ts';
import type { CustomerDetailsChanged } from './customerEvents.ts';

export interface ChangeCustomerDetails {
  readonly type: 'ChangeCustomerDetails';
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

export function changeCustomerDetails(command: ChangeCustomerDetails, state: Customer): CustomerDetailsChanged[] {
  const customer = existingCustomer(state, command.customerId);
  if (customer.name === command.name && customer.email === command.email) return [];
  const { type: _type, ...data } = command;
  return [{ type: 'CustomerDetailsChanged', data }];
}
