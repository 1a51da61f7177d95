/**
 * ForgetCustomer: the customer asked to be forgotten (GDPR art. 17), or an operator acts on their request.
 * Recording it is the decision; destroying their data key and purging copies is the eraser's job
 * (src/privacy/customerErasure.ts), which runs after the event is stored. Forgetting twice decides nothing
 * new, so a retry after a failed purge just purges again.
 */
import type { Customer } from './customer.ts';
import { CustomerNotFoundError } from './customerErrors.ts';
import type { CustomerForgotten } from './customerEvents.ts';

export interface ForgetCustomer {
  readonly type: 'ForgetCustomer';
  readonly customerId: string;
  readonly forgottenAt: string;
}

export function forgetCustomer(command: ForgetCustomer, state: Customer): CustomerForgotten[] {
  if (state.status === 'NONE') throw new CustomerNotFoundError(command.customerId);
  if (state.status === 'FORGOTTEN') return [];
  return [{ type: 'CustomerForgotten', data: { customerId: command.customerId, forgottenAt: command.forgottenAt } }];
}
