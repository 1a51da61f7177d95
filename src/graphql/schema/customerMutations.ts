/** Customer commands: register, change details, forget. */
import { z } from 'zod';
import { decideOnStream, type CommandOutcome, type StreamCommandResult } from '../../core/commandHandler.ts';
import type { ErasureReport } from '../../core/personalData.ts';
import { customerDecider } from '../../customers/customerDecider.ts';
import { CustomerAlreadyRegisteredError, CustomerNotFoundError } from '../../customers/customerErrors.ts';
import { customerStreamId } from '../../customers/customerEvents.ts';
import { builder } from '../builder.ts';
import { commandsOnStream, executeCommand, type StreamCommandPayload } from '../executeCommand.ts';
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

const CustomerErasureRef = builder.objectRef<ErasureReport>('CustomerErasure').implement({
  description: 'What forgetting the customer purged besides destroying their data key (counts of documents).',
  fields: (t) => ({
    clearTextEventsRedacted: t.exposeInt('clearTextEventsRedacted', {
      description: 'Events written in clear text before encryption, whose personal fields now read `[erased]`.',
    }),
    readModelDocumentsRedacted: t.exposeInt('readModelDocumentsRedacted'),
    snapshotsRedacted: t.exposeInt('snapshotsRedacted'),
    deadLettersRedacted: t.exposeInt('deadLettersRedacted'),
    idempotencyRecordsDeleted: t.exposeInt('idempotencyRecordsDeleted'),
    outboxRecordsRedacted: t.exposeInt('outboxRecordsRedacted'),
  }),
});

type ForgetCustomerPayload = CommandOutcome<StreamCommandResult> & { readonly customerId: string; readonly erasure: ErasureReport };

const ForgetCustomerPayloadRef = builder.objectRef<ForgetCustomerPayload>('ForgetCustomerPayload').implement({
  description: 'The customer stream after `CustomerForgotten`, and what was purged.',
  fields: (t) => ({
    customerId: t.exposeID('customerId'),
    streamId: t.exposeString('streamId'),
    version: t.exposeInt('version'),
    replayed: t.exposeBoolean('replayed', { description: 'True when the customer had already been forgotten (the purge ran again).' }),
    erasure: t.field({ type: CustomerErasureRef, resolve: (payload) => payload.erasure }),
  }),
});

builder.mutationField('forgetCustomer', (t) =>
  t.field({
    description:
      'Forgets a customer (GDPR art. 17): records `CustomerForgotten`, destroys their data key, so their name, email and ' +
      'payment references read `[erased]` everywhere from now on, and purges read models, snapshots, dead letters and ' +
      'idempotency records. The customer themselves, or an operator. Safe to repeat.',
    authScopes: (_root, { customerId }) => ({ customer: String(customerId), operator: true }),
    type: ForgetCustomerPayloadRef,
    errors: { types: [...commandErrors, CustomerNotFoundError] },
    args: { customerId: t.arg.id({ required: true, validate: IdSchema }) },
    resolve: async (_root, { customerId: id }, context) => {
      const customerId = String(id);
      const eraser = context.deps.privacy;
      if (!eraser) throw new Error('forgetCustomer needs the personal-data eraser (ApiDeps.privacy)');
      const streamId = customerStreamId(customerId);
      let appended = 0;
      const outcome = await executeCommand(
        context,
        {},
        {
          // Recorded with the event: whether the customer asked, or an operator acted for them.
          actingAs: context.principal?.uid === customerId ? 'customer' : 'operator',
          command: (forgottenAt) => ({ type: 'ForgetCustomer' as const, customerId, forgottenAt }),
          decideOn: (command) => async (load) => {
            const decision = await decideOnStream(customerDecider, streamId, command)(load);
            appended = decision.appends.reduce((n, a) => n + a.events.length, 0);
            return decision;
          },
        },
      );
      // The event is stored first, so the erasure always has its record; a failed erasure is retried by forgetting again.
      const erasure = await eraser.eraseCustomer(customerId);
      return { ...outcome, replayed: appended === 0, customerId, erasure } satisfies ForgetCustomerPayload;
    },
  }),
);
