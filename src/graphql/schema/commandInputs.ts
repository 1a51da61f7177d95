/** Validation rules and fields shared by every command mutation's input. */
import { z } from 'zod';

export const IdSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');

export const IdempotencyKeySchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(200, 'must be at most 200 characters')
  .optional()
  .nullable();

export const IDEMPOTENCY_KEY_DESCRIPTION =
  'Send the same key to retry safely: the command runs once and every retry gets the first result.';

export const PriceCentsSchema = z.number().int().min(0, 'must not be negative').max(100_000_000);
export const QuantitySchema = z.number().int().min(1, 'must be at least 1').max(100_000);
