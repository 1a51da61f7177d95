/** Customer commands: register, change details. */
import { z } from 'zod';
import { customerDecider } from '../../customers/customerDecider.ts';
import { CustomerAlreadyRegisteredError, CustomerNotFoundError } from '../../customers/customerErrors.ts';
import { customerStreamId } from '../../customers/customerEvents.ts';
import { builder } from '../builder.ts';
import { commandsOnStream, type StreamCommandPayload } from '../executeCommand.ts';
import { commandInput, IdSchema } from './commandInputs.ts';
import { commandPayload } from './commandPayload.ts';
import { commandErrors } from './errors.ts';

const CustomerCommandPayloadRef = commandPayload<StreamCommandPayload<'customerId'>>('CustomerCommandPayload', {
  description: 'The customer stream after the command; `streamId` and `version` form a consistency token.',
  idField: 'customerId',
});

const runCustomerCommand = commandsOnStream({
  decider: customerDecider,
  idField: 'customerId',
  streamId: customerStreamId,
  actingAs: 'customer',
});

const NameSchema = z.string().trim().min(1, 'must not be empty').max(200);
const EmailSchema = z.email('must be an email address').max(320);

const RegisterCustomerInput = commandInput('RegisterCustomerInput', {
  fields: (t) => ({
    customerId: t.id({ required: true, validate: IdSchema }),
    name: t.string({ required: true, validate: NameSchema }),
    email: t.string({ required: true, validate: EmailSchema }),
  }),
});

const ChangeCustomerDetailsInput = commandInput('ChangeCustomerDetailsInput', {
  fields: (t) => ({
    customerId: t.id({ required: true, validate: IdSchema }),
    name: t.string({ required: true, validate: NameSchema }),
    email: t.string({ required: true, validate: EmailSchema }),
  }),
});

builder.mutationField('registerCustomer', (t) =>
  t.field({
    description: 'Registers the signed-in user as a customer: `customerId` must be their uid.',
    authScopes: (_root, { input }) => ({ customer: String(input.customerId) }),
    type: CustomerCommandPayloadRef,
    errors: { types: [...commandErrors, CustomerAlreadyRegisteredError] },
    args: { input: t.arg({ type: RegisterCustomerInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { customerId, name, email } = input;
      return runCustomerCommand(context, input, { type: 'RegisterCustomer', customerId: String(customerId), name, email });
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
      const { customerId, name, email } = input;
      return runCustomerCommand(context, input, { type: 'ChangeCustomerDetails', customerId: String(customerId), name, email });
    },
  }),
);
