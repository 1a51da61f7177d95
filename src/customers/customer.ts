/** The customer aggregate's state: who they are and how to reach them. */
import { assertNever } from '../core/decider.ts';
import { CustomerNotFoundError } from './customerErrors.ts';
import type { CustomerEvent } from './customerEvents.ts';

export type Customer =
  | { readonly status: 'NONE' }
  | { readonly status: 'REGISTERED'; readonly customerId: string; readonly name: string; readonly email: string };

export type ExistingCustomer = Exclude<Customer, { status: 'NONE' }>;

export const initialCustomer = (): Customer => ({ status: 'NONE' });

export function existingCustomer(customer: Customer, customerId: string): ExistingCustomer {
  if (customer.status === 'NONE') throw new CustomerNotFoundError(customerId);
  return customer;
}

export function evolveCustomer(_state: Customer, event: CustomerEvent): Customer {
  switch (event.type) {
    case 'CustomerRegistered':
    case 'CustomerDetailsChanged':
      return { status: 'REGISTERED', ...event.data };
    default:
      return assertNever(event);
  }
}
