/** The customer aggregate: who they are and how to reach them. */
import { assertNever, type Decider } from '../core/decider.ts';
import { CustomerAlreadyRegisteredError, CustomerNotFoundError } from './customerErrors.ts';
import type { CustomerDetailsChanged, CustomerEvent, CustomerRegistered } from './customerEvents.ts';

export type Customer =
  | { readonly status: 'none' }
  | { readonly status: 'registered'; readonly customerId: string; readonly name: string; readonly email: string };

export interface RegisterCustomer {
  readonly type: 'RegisterCustomer';
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

export interface ChangeCustomerDetails {
  readonly type: 'ChangeCustomerDetails';
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

export type CustomerCommand = RegisterCustomer | ChangeCustomerDetails;

export const initialCustomer = (): Customer => ({ status: 'none' });

export function evolveCustomer(state: Customer, event: CustomerEvent): Customer {
  switch (event.type) {
    case 'CustomerRegistered':
    case 'CustomerDetailsChanged':
      return { status: 'registered', ...event.data };
    default:
      return assertNever(event);
  }
}

export function registerCustomer(command: RegisterCustomer, state: Customer): CustomerRegistered[] {
  if (state.status !== 'none') throw new CustomerAlreadyRegisteredError(command.customerId);
  const { type: _type, ...data } = command;
  return [{ type: 'CustomerRegistered', data }];
}

export function changeCustomerDetails(command: ChangeCustomerDetails, state: Customer): CustomerDetailsChanged[] {
  if (state.status === 'none') throw new CustomerNotFoundError(command.customerId);
  if (state.name === command.name && state.email === command.email) return [];
  const { type: _type, ...data } = command;
  return [{ type: 'CustomerDetailsChanged', data }];
}

export const customerDecider: Decider<CustomerCommand, CustomerEvent, Customer> = {
  decide: (command, state) => {
    switch (command.type) {
      case 'RegisterCustomer':
        return registerCustomer(command, state);
      case 'ChangeCustomerDetails':
        return changeCustomerDetails(command, state);
      default:
        return assertNever(command);
    }
  },
  evolve: evolveCustomer,
  initialState: initialCustomer,
};
