/** The customer's events: each type's data schema at every version, and its type, inferred from the current one. */
import { z } from 'zod';
import { defineEventTypes, type EventData } from '../core/eventRegistry.ts';
import type { DomainEvent } from '../core/eventStore.ts';
import { Id } from '../core/eventValues.ts';

const CustomerDetailsV1 = z.object({ customerId: Id, name: z.string().min(1), email: z.string() });

export type CustomerRegistered = DomainEvent<'CustomerRegistered', EventData<typeof CustomerDetailsV1>>;
export type CustomerDetailsChanged = DomainEvent<'CustomerDetailsChanged', EventData<typeof CustomerDetailsV1>>;

export type CustomerEvent = CustomerRegistered | CustomerDetailsChanged;

export const customerEventTypes = defineEventTypes<CustomerEvent>({
  CustomerRegistered: { versions: { 1: CustomerDetailsV1 } },
  CustomerDetailsChanged: { versions: { 1: CustomerDetailsV1 } },
});

export const customerStreamId = (customerId: string): string => `customer-${customerId}`;
