import { z } from 'zod';
import type { EventTypeDefinition } from '../core/eventRegistry.ts';

const Id = z.string().min(1);
const Cents = z.number().int().min(0);
const Instant = z.string().min(1);
const Line = z.object({ productId: Id, productName: z.string(), quantity: z.number().int().min(1), unitPriceCents: Cents });
const Lines = z.array(Line).min(1);

export const orderEventTypes: EventTypeDefinition[] = [
  {
    type: 'OrderPlaced',
    versions: { 1: z.object({ orderId: Id, customerId: Id, lines: Lines, totalCents: Cents, placedAt: Instant }) },
  },
  {
    type: 'OrderPaymentConfirmed',
    versions: {
      1: z.object({ orderId: Id, customerId: Id, paymentReference: z.string(), amountCents: Cents, placedAt: Instant, paidAt: Instant }),
    },
  },
  {
    type: 'OrderShipped',
    versions: { 1: z.object({ orderId: Id, customerId: Id, lines: Lines, placedAt: Instant, shippedAt: Instant }) },
  },
  {
    type: 'OrderCancelled',
    versions: {
      1: z.object({
        orderId: Id,
        customerId: Id,
        lines: Lines,
        totalCents: Cents,
        placedAt: Instant,
        previousStatus: z.enum(['PLACED', 'PAID']),
        reason: z.string(),
        cancelledAt: Instant,
      }),
    },
  },
];
