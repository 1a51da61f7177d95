/**
 * What every command mutation's input shares: the validation rules of its common fields, and the
 * `idempotencyKey` field, which `commandInput` adds to each command input type.
 */
import type { InputFieldMap, SchemaTypes } from '@pothos/core';
import { z } from 'zod';
import { builder } from '../builder.ts';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;

export const IdSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');

const IdempotencyKeySchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(200, 'must be at most 200 characters')
  .optional()
  .nullable();

export const PriceCentsSchema = z.number().int().min(0, 'must not be negative').max(100_000_000);
export const QuantitySchema = z.number().int().min(1, 'must be at least 1').max(100_000);

/** A command mutation's input type: its own fields, then `idempotencyKey` (see executeCommand). */
export function commandInput<Fields extends InputFieldMap>(
  name: string,
  options: { readonly description?: string; readonly fields: (t: PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>) => Fields },
) {
  return builder.inputType(name, {
    ...(options.description ? { description: options.description } : {}),
    fields: (t) => ({
      ...options.fields(t),
      idempotencyKey: t.string({
        required: false,
        description: 'Send the same key to retry safely: the command runs once and every retry gets the first result.',
        validate: IdempotencyKeySchema,
      }),
    }),
  });
}
