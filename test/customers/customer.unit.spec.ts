import { describe, it } from 'vitest';
import { customerDecider } from '../../src/customers/customerDecider.ts';
import { CustomerAlreadyRegisteredError, CustomerNotFoundError } from '../../src/customers/customerErrors.ts';
import { deciderSpec } from '../support/deciderSpec.ts';
import { customerDetailsChanged, customerRegistered } from '../support/shopFixtures.ts';

const spec = deciderSpec(customerDecider);

const adaRegistered = customerRegistered('c1', 'Ada Lovelace', 'ada@example.com');

describe('RegisterCustomer', () => {
  it('registers a new customer', () => {
    spec
      .given([])
      .when({ type: 'RegisterCustomer', customerId: 'c1', name: 'Ada Lovelace', email: 'ada@example.com' })
      .then([adaRegistered]);
  });

  it('refuses to register the same customer twice, even with other details', () => {
    spec
      .given([adaRegistered])
      .when({ type: 'RegisterCustomer', customerId: 'c1', name: 'Ada King', email: 'ada.king@example.com' })
      .thenThrows(CustomerAlreadyRegisteredError, 'CUSTOMER.ALREADY_REGISTERED');
  });
});

describe('ChangeCustomerDetails', () => {
  it('changes name and email', () => {
    spec
      .given([adaRegistered])
      .when({ type: 'ChangeCustomerDetails', customerId: 'c1', name: 'Ada King', email: 'ada.king@example.com' })
      .then([customerDetailsChanged('c1', 'Ada King', 'ada.king@example.com')]);
  });

  it('changes only the email, carrying the unchanged name', () => {
    spec
      .given([adaRegistered])
      .when({ type: 'ChangeCustomerDetails', customerId: 'c1', name: 'Ada Lovelace', email: 'countess@example.com' })
      .then([customerDetailsChanged('c1', 'Ada Lovelace', 'countess@example.com')]);
  });

  it('records nothing when the details are the same', () => {
    spec
      .given([adaRegistered])
      .when({ type: 'ChangeCustomerDetails', customerId: 'c1', name: 'Ada Lovelace', email: 'ada@example.com' })
      .then([]);
  });

  it('compares with the latest details, not the registered ones', () => {
    spec
      .given([adaRegistered, customerDetailsChanged('c1', 'Ada King', 'ada.king@example.com')])
      .when({ type: 'ChangeCustomerDetails', customerId: 'c1', name: 'Ada King', email: 'ada.king@example.com' })
      .then([]);
    spec
      .given([adaRegistered, customerDetailsChanged('c1', 'Ada King', 'ada.king@example.com')])
      .when({ type: 'ChangeCustomerDetails', customerId: 'c1', name: 'Ada Lovelace', email: 'ada@example.com' })
      .then([customerDetailsChanged('c1', 'Ada Lovelace', 'ada@example.com')]);
  });

  it('refuses an unregistered customer', () => {
    spec
      .given([])
      .when({ type: 'ChangeCustomerDetails', customerId: 'c1', name: 'Ada King', email: 'ada.king@example.com' })
      .thenThrows(CustomerNotFoundError, 'CUSTOMER.NOT_FOUND');
  });
});

describe('ForgetCustomer', () => {
  const forgotten = { type: 'CustomerForgotten', data: { customerId: 'c1', forgottenAt: '2026-12-01T12:00:00.000Z' } } as const;
  const forget = { type: 'ForgetCustomer', customerId: 'c1', forgottenAt: '2026-12-01T12:00:00.000Z' } as const;

  it('records that a registered customer is forgotten', () => {
    spec.given([adaRegistered]).when(forget).then([forgotten]);
  });

  it('decides nothing new when the customer is already forgotten (forgetting again only purges again)', () => {
    spec.given([adaRegistered, forgotten]).when(forget).then([]);
  });

  it('refuses to forget a customer who never registered', () => {
    spec.given([]).when(forget).thenThrows(CustomerNotFoundError, 'CUSTOMER.NOT_FOUND');
  });

  it('treats a forgotten customer as gone: no details change, no registration under the same id', () => {
    spec
      .given([adaRegistered, forgotten])
      .when({ type: 'ChangeCustomerDetails', customerId: 'c1', name: 'Ada King', email: 'ada.king@example.com' })
      .thenThrows(CustomerNotFoundError, 'CUSTOMER.NOT_FOUND');
    spec
      .given([adaRegistered, forgotten])
      .when({ type: 'RegisterCustomer', customerId: 'c1', name: 'Ada Lovelace', email: 'ada@example.com' })
      .thenThrows(CustomerAlreadyRegisteredError, 'CUSTOMER.ALREADY_REGISTERED');
  });
});
