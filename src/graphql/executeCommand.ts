/**
 * Runs a command from a resolver: time, ids, correlation and the acting principal come from the request
 * context. The principal is in every event's metadata (`actor` = uid, `actorRole` = the role it acted in)
 * and scopes the client's idempotency key.
 *
 * Each command is a span (`command <Type>`, its appends and the Firestore commit inside), and its trace
 * context goes into every event's metadata (`traceparent`), where the relay and the projectors pick it up.
 * The `eventloom.commands` metrics count it by outcome.
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
import { ConcurrencyError, EventloomError } from '../core/errors.ts';
import type { DomainEvent } from '../core/eventStore.ts';
import { InstrumentedEventStore } from '../telemetry/instrumentedEventStore.ts';
import { eventloomMetrics } from '../telemetry/metrics.ts';
import { ATTR, currentTraceCarrier, inSpan } from '../telemetry/tracing.ts';
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
  const commandName = command.type;
  return inSpan(
    `command ${commandName}`,
    {
      hop: 'command',
      attributes: { [ATTR.command]: commandName, [ATTR.correlationId]: context.correlationId },
      // Expected refusals (a domain rule, a conflict) are the caller's answer, not a failure of the system.
      isExpected: (error) => commandOutcomeOf(error) !== 'error',
    },
    async (span) => {
      const store = new InstrumentedEventStore(deps.store, commandName);
      const metrics = eventloomMetrics();
      const started = performance.now();
      let outcome = 'error';
      try {
        const result = await runCommand({
          store,
          ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
          onSnapshotError: (error, streamId) => deps.logger.warn({ err: error, streamId }, 'snapshot not saved'),
          commandName,
          occurredAt,
          metadata: {
            correlationId: context.correlationId,
            causationId: null,
            actor: principal.uid,
            actorRole: request.actingAs,
            // The command span's context: the relay's publish and each projector's handling continue this trace.
            ...currentTraceCarrier(),
          },
          decide: request.decideOn(command),
          newEventId: deps.newId,
          ...(idempotencyKey ? { idempotency: { key: idempotencyKey, scope: principal.uid, request: requested } } : {}),
        });
        outcome = result.replayed ? 'replayed' : 'ok';
        return result;
      } catch (error) {
        outcome = commandOutcomeOf(error);
        throw error;
      } finally {
        span.setAttribute(ATTR.outcome, outcome);
        if (store.appends > 1) metrics.retries.add(store.appends - 1, { command: commandName });
        metrics.commands.add(1, { command: commandName, outcome });
        metrics.commandDuration.record((performance.now() - started) / 1000, { command: commandName, outcome });
      }
    },
  );
}

/** A command's outcome for metrics: refused by a rule (rejected), out of retries (conflict), or a failure (error). */
function commandOutcomeOf(error: unknown): string {
  if (error instanceof ConcurrencyError) return 'conflict';
  if (error instanceof EventloomError) return 'rejected';
  return 'error';
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
