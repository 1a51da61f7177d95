import type { DomainEvent } from '../core/eventStore.ts';

export type CustomerRegistered = DomainEvent<
  'CustomerRegistered',
  { readonly customerId: string; readonly name: string; readonly email: string }
>;
export type CustomerDetailsChanged = DomainEvent<
  'CustomerDetailsChanged',
  { readonly customerId: string; readonly name: string; readonly email: string }
>;

export type CustomerEvent = CustomerRegistered | CustomerDetailsChanged;

export const customerStreamId = (customerId: string): string => `customer-${customerId}`;
