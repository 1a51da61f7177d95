/** Customer commands: register, change details. */
import { z } from 'zod';
import { decideOnStream } from '../../core/commandHandler.ts';
import { customerDecider, type CustomerCommand } from '../../customers/customerDecider.ts';
import { CustomerAlreadyRegisteredError, CustomerNotFoundError } from '../../customers/customerErrors.ts';
import { customerStreamId } from '../../customers/customerEvents.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { executeCommand } from '../executeCommand.ts';
import { IDEMPOTENCY_KEY_DESCRIPTION, IdempotencyKeySchema, IdSchema } from './commandInputs.ts';
import { commandErrors } from './errors.ts';

interface CustomerCommandPayload {
  customerId: string;
  streamId: string;
  version: number;
  replayed: boolean;
}

const CustomerCommandPayloadRef = builder.objectRef<CustomerCommandPayload>('CustomerCommandPayload').implement({
  description: 'The customer stream after the command; `streamId` and `version` form a consistency token.',
  fields: (t) => ({
    customerId: t.exposeID('customerId'),
    streamId: t.exposeString('streamId'),
    version: t.exposeInt('version'),
    replayed: t.exposeBoolean('replayed'),
  }),
});

const NameSchema = z.string().trim().min(1, 'must not be empty').max(200);
const EmailSchema = z.email('must be an email address').max(320);

async function runCustomerCommand(
  context: GraphQLContext,
  command: CustomerCommand,
  idempotencyKey: string | null | undefined,
  request: unknown,
): Promise<CustomerCommandPayload> {
  const outcome = await executeCommand(context, {
    commandName: command.type,
    occurredAt: context.deps.clock().toISOString(),
    idempotencyKey,
    request,
    actingAs: 'customer',
    decide: decideOnStream(customerDecider, customerStreamId(command.customerId), command),
  });
  return { ...outcome, customerId: command.customerId };
}

const CustomerDetailsFields = builder.inputType('RegisterCustomerInput', {
  fields: (t) => ({
    customerId: t.id({ required: true, validate: IdSchema }),
    name: t.string({ required: true, validate: NameSchema }),
    email: t.string({ required: true, validate: EmailSchema }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

const ChangeCustomerDetailsInput = builder.inputType('ChangeCustomerDetailsInput', {
  fields: (t) => ({
    customerId: t.id({ required: true, validate: IdSchema }),
    name: t.string({ required: true, validate: NameSchema }),
    email: t.string({ required: true, validate: EmailSchema }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, validate: IdempotencyKeySchema }),
  }),
});

builder.mutationField('registerCustomer', (t) =>
  t.field({
    description: 'Registers the signed-in user as a customer: `customerId` must be their uid.',
    authScopes: (_root, { input }) => ({ customer: String(input.customerId) }),
    type: CustomerCommandPayloadRef,
    errors: { types: [...commandErrors, CustomerAlreadyRegisteredError] },
    args: { input: t.arg({ type: CustomerDetailsFields, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      const { customerId, name, email } = input;
      return runCustomerCommand(context, { type: 'RegisterCustomer', customerId: String(customerId), name, email }, idempotencyKey, request);
    },
  }),
);

builder.mutationField('changeCustomerDetails', (t) =>
  t.field({
    authScopes: (_root, { input }) => ({ customer: String(input.customerId) }),
    type: CustomerCommandPayloadRef,
    errors: { types: [...commandErrors, CustomerNotFoundError] },
    args: { input: t.arg({ type: ChangeCustomerDetailsInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { idempotencyKey, ...request } = input;
      const { customerId, name, email } = input;
      return runCustomerCommand(context, { type: 'ChangeCustomerDetails', customerId: String(customerId), name, email }, idempotencyKey, request);
    },
  }),
);
