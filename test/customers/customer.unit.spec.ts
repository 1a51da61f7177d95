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
