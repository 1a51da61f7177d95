/**
 * Runs a command from a resolver: time, ids, correlation and the acting principal come from the request
 * context. The principal is in every event's metadata (`actor` = uid, `actorRole` = the role it acted in)
 * and scopes the client's idempotency key.
 */
import type { Role } from '../auth/principal.ts';
import { runCommand, type CommandOutcome, type Decision, type StreamLoader } from '../core/commandHandler.ts';
import type { GraphQLContext } from './context.ts';

export interface CommandRequest<Result> {
  readonly commandName: string;
  /** Issue time, shared with the command so its events and its data agree. */
  readonly occurredAt: string;
  readonly decide: (load: StreamLoader) => Promise<Decision<Result>>;
  /** The role the field's rule let the principal act in, recorded with the events. */
  readonly actingAs: Role;
  /** The client's idempotency key and the input it came with. */
  readonly idempotencyKey?: string | null;
  readonly request?: unknown;
}

export function executeCommand<Result extends object>(
  context: GraphQLContext,
  command: CommandRequest<Result>,
): Promise<CommandOutcome<Result>> {
  const { deps, principal } = context;
  // Every command field's rule requires a principal; this is the last line of that defence.
  if (!principal) throw new Error(`${command.commandName} reached execution without a principal`);
  return runCommand({
    store: deps.store,
    ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
    onSnapshotError: (error, streamId) => deps.logger.warn({ err: error, streamId }, 'snapshot not saved'),
    commandName: command.commandName,
    occurredAt: command.occurredAt,
    metadata: { correlationId: context.correlationId, causationId: null, actor: principal.uid, actorRole: command.actingAs },
    decide: command.decide,
    newEventId: deps.newId,
    ...(command.idempotencyKey
      ? { idempotency: { key: command.idempotencyKey, scope: principal.uid, request: command.request ?? null } }
      : {}),
  });
}

/** The role a command on an order runs in: staff handling any order, or its customer handling their own. */
export function orderRole(context: GraphQLContext): Role {
  return context.principal?.roles.has('fulfilment') ? 'fulfilment' : 'customer';
}
