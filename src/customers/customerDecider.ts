/** The customer decider: which command does what, over the state and evolve in customer.ts. */
import { assertNever, type Decider } from '../core/decider.ts';
import { changeCustomerDetails, type ChangeCustomerDetails } from './changeCustomerDetails.ts';
import { evolveCustomer, initialCustomer, type Customer } from './customer.ts';
import type { CustomerEvent } from './customerEvents.ts';
import { forgetCustomer, type ForgetCustomer } from './forgetCustomer.ts';
import { registerCustomer, type RegisterCustomer } from './registerCustomer.ts';

export type CustomerCommand = RegisterCustomer | ChangeCustomerDetails | ForgetCustomer;

export const customerDecider: Decider<CustomerCommand, CustomerEvent, Customer> = {
  decide(command, state) {
    switch (command.type) {
      case 'RegisterCustomer':
        return registerCustomer(command, state);
      case 'ChangeCustomerDetails':
        return changeCustomerDetails(command, state);
      case 'ForgetCustomer':
        return forgetCustomer(command, state);
      default:
        return assertNever(command);
    }
  },
  evolve: evolveCustomer,
  initialState: initialCustomer,
};
