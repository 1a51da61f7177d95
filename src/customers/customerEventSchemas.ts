import { z } from 'zod';
import type { EventTypeDefinition } from '../core/eventRegistry.ts';

const CustomerDetails = z.object({ customerId: z.string().min(1), name: z.string().min(1), email: z.string() });

export const customerEventTypes: EventTypeDefinition[] = [
  { type: 'CustomerRegistered', versions: { 1: CustomerDetails } },
  { type: 'CustomerDetailsChanged', versions: { 1: CustomerDetails } },
];
