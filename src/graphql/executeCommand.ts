/**
 * Runs a command from a resolver: time, ids, correlation and the acting principal come from the request
 * context. The principal is in every event's metadata (`actor` = uid, `actorRole` = the role it acted in)
 * and scopes the client's idempotency key.
 */
import type { Role } from '../auth/principal.ts';
import {
  decideOnStream,
  runCommand,
  type CommandOutcome,
  type Decision,
  type StreamCommandResult,
  type StreamLoader,
} from '../core/commandHandler.ts';
import type { Decider } from '../core/decider.ts';
import type { DomainEvent } from '../core/eventStore.ts';
import type { GraphQLContext } from './context.ts';

/** What every command mutation's input carries beside the command's own fields (see commandInput). */
export interface CommandInput {
  readonly idempotencyKey?: string | null;
}

export interface CommandRequest<Command, Result> {
  /** The role the field's rule let the principal act in, recorded with the events. */
  readonly actingAs: Role;
  /** The command, given the instant it is issued: its time fields and its events' occurredAt agree. */
  readonly command: (issuedAt: string) => NoInfer<Command>;
  /** What `runCommand` loads and decides for it (`decideOnStream`, `decideOnOrder`, ...). */
  readonly decideOn: (command: Command) => (load: StreamLoader) => Promise<Decision<Result>>;
}

export function executeCommand<Command extends { readonly type: string }, Result extends object>(
  context: GraphQLContext,
  input: CommandInput,
  request: CommandRequest<Command, Result>,
): Promise<CommandOutcome<Result>> {
  const { deps, principal } = context;
  const occurredAt = deps.clock().toISOString();
  const command = request.command(occurredAt);
  // Every command field's rule requires a principal; this is the last line of that defence.
  if (!principal) throw new Error(`${command.type} reached execution without a principal`);
  // A retry must repeat the request, not the command: the command holds generated ids and times.
  const { idempotencyKey, ...requested } = input;
  return runCommand({
    store: deps.store,
    ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
    onSnapshotError: (error, streamId) => deps.logger.warn({ err: error, streamId }, 'snapshot not saved'),
    commandName: command.type,
    occurredAt,
    metadata: { correlationId: context.correlationId, causationId: null, actor: principal.uid, actorRole: request.actingAs },
    decide: request.decideOn(command),
    newEventId: deps.newId,
    ...(idempotencyKey ? { idempotency: { key: idempotencyKey, scope: principal.uid, request: requested } } : {}),
  });
}

/** The role a command on an order runs in: staff handling any order, or its customer handling their own. */
export function orderRole(context: GraphQLContext): Role {
  return context.principal?.roles.has('fulfilment') ? 'fulfilment' : 'customer';
}

/** What a command on one aggregate's own stream answers: the stream's consistency token and the aggregate's id. */
export type StreamCommandPayload<IdField extends string> = CommandOutcome<StreamCommandResult> & { readonly [Id in IdField]: string };

/**
 * How a module's commands on their aggregate's own stream run (products, customers): each is decided on
 * that stream by the aggregate's decider, in one role, and answers with the aggregate's id under `idField`.
 */
export function commandsOnStream<
  Command extends { readonly type: string } & { readonly [Id in IdField]: string },
  Event extends DomainEvent,
  State,
  IdField extends string,
>(stream: {
  readonly decider: Decider<Command, Event, State>;
  readonly idField: IdField;
  readonly streamId: (id: string) => string;
  readonly actingAs: Role;
}) {
  return async (context: GraphQLContext, input: CommandInput, command: Command): Promise<StreamCommandPayload<IdField>> => {
    const id = command[stream.idField];
    const outcome = await executeCommand(context, input, {
      actingAs: stream.actingAs,
      command: () => command,
      decideOn: (c) => decideOnStream(stream.decider, stream.streamId(id), c),
    });
    // Added here, not stored with the result: a replayed result has it too.
    return { ...outcome, [stream.idField]: id } as StreamCommandPayload<IdField>;
  };
}
