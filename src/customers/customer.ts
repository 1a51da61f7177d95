/** The customer aggregate's state: who they are and how to reach them, until they ask to be forgotten. */
import { assertNever } from '../core/decider.ts';
import { CustomerNotFoundError } from './customerErrors.ts';
import type { CustomerEvent } from './customerEvents.ts';

export type Customer =
  | { readonly status: 'NONE' }
  | { readonly status: 'REGISTERED'; readonly customerId: string; readonly name: string; readonly email: string }
  /** Forgotten: the stream remains (so the id cannot be registered again), the person is gone from it. */
  | { readonly status: 'FORGOTTEN'; readonly customerId: string };

export type ExistingCustomer = Extract<Customer, { status: 'REGISTERED' }>;

export const initialCustomer = (): Customer => ({ status: 'NONE' });

/** A customer who can be dealt with: registered and not forgotten (a forgotten one places no orders). */
export function existingCustomer(customer: Customer, customerId: string): ExistingCustomer {
  if (customer.status !== 'REGISTERED') throw new CustomerNotFoundError(customerId);
  return customer;
}

export function evolveCustomer(state: Customer, event: CustomerEvent): Customer {
  switch (event.type) {
    case 'CustomerRegistered':
    case 'CustomerDetailsChanged':
      return state.status === 'FORGOTTEN' ? state : { status: 'REGISTERED', ...event.data };
    case 'CustomerForgotten':
      return { status: 'FORGOTTEN', customerId: event.data.customerId };
    default:
      return assertNever(event);
  }
}
