/** The customer's events: each type's data schema at every version, and its type, inferred from the current one. */
import { z } from 'zod';
import { defineEventTypes, type EventData } from '../core/eventRegistry.ts';
import type { DomainEvent } from '../core/eventStore.ts';
import { Id } from '../core/eventValues.ts';
import type { PersonalDataDeclaration } from '../core/personalData.ts';

const CustomerDetailsV1 = z.object({ customerId: Id, name: z.string().min(1), email: z.string() });
/** The customer asked to be forgotten (GDPR art. 17): their data key is destroyed, their personal data erased. */
const CustomerForgottenV1 = z.object({ customerId: Id, forgottenAt: z.string().min(1) });

export type CustomerRegistered = DomainEvent<'CustomerRegistered', EventData<typeof CustomerDetailsV1>>;
export type CustomerDetailsChanged = DomainEvent<'CustomerDetailsChanged', EventData<typeof CustomerDetailsV1>>;
export type CustomerForgotten = DomainEvent<'CustomerForgotten', EventData<typeof CustomerForgottenV1>>;

export type CustomerEvent = CustomerRegistered | CustomerDetailsChanged | CustomerForgotten;

/** Name and email are the customer's personal data, sealed with their data key. */
const CUSTOMER_DETAILS: PersonalDataDeclaration = { subject: 'customerId', fields: ['name', 'email'] };

export const customerEventTypes = defineEventTypes<CustomerEvent>({
  CustomerRegistered: { versions: { 1: CustomerDetailsV1 }, personalData: CUSTOMER_DETAILS },
  CustomerDetailsChanged: { versions: { 1: CustomerDetailsV1 }, personalData: CUSTOMER_DETAILS },
  CustomerForgotten: { versions: { 1: CustomerForgottenV1 } },
});

export const customerStreamId = (customerId: string): string => `customer-${customerId}`;
