/** Runs a command from a resolver: time, ids, correlation and actor come from the request context. */
import { runCommand, type CommandOutcome, type Decision, type StreamLoader } from '../core/commandHandler.ts';
import type { GraphQLContext } from './context.ts';

export interface CommandRequest<Result> {
  readonly commandName: string;
  /** Issue time, shared with the command so its events and its data agree. */
  readonly occurredAt: string;
  readonly decide: (load: StreamLoader) => Promise<Decision<Result>>;
  /** The client's idempotency key and the input it came with. */
  readonly idempotencyKey?: string | null;
  readonly request?: unknown;
}

export function executeCommand<Result extends object>(
  context: GraphQLContext,
  command: CommandRequest<Result>,
): Promise<CommandOutcome<Result>> {
  const { deps } = context;
  return runCommand({
    store: deps.store,
    ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
    onSnapshotError: (error, streamId) => deps.logger.warn({ err: error, streamId }, 'snapshot not saved'),
    commandName: command.commandName,
    occurredAt: command.occurredAt,
    metadata: { correlationId: context.correlationId, causationId: null, actor: context.actor },
    decide: command.decide,
    newEventId: deps.newId,
    ...(command.idempotencyKey ? { idempotency: { key: command.idempotencyKey, request: command.request ?? null } } : {}),
  });
}
