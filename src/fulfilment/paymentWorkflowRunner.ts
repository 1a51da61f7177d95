/**
 * Runs the payment workflow against the event store: each input is decided on the workflow's stream with
 * optimistic concurrency (two sweeps firing the same deadline, or a sweep and a payment arriving together,
 * cannot both decide), then the world is brought in line with the state it reached:
 *
 * - its deadline is kept while it waits (for a payment, or for the cancellation it asked for) and removed
 *   once it is closed; done on every input, so a crash after the decision is repaired by the redelivery or
 *   the next sweep;
 * - the commands it asked for run through the normal command path (CancelOrder releases the stock) with an
 *   idempotency key of their own, so asking twice cancels once; a cancellation the order refuses because it
 *   was paid first goes back to the workflow as OrderCancellationRejected, which records the lost race.
 *
 * The workflow acts as the system: its events and the cancellation carry no principal (`actor` null,
 * `actorRole` "system") and the causation id of the input that led to them.
 */
import { runCommand } from '../core/commandHandler.ts';
import type { DeadlineStore } from '../core/deadlines.ts';
import type { EventStore } from '../core/eventStore.ts';
import type { CancelOrder } from '../orders/cancelOrder.ts';
import { decideOnOrder } from '../orders/decideOnOrder.ts';
import { InvalidOrderTransitionError } from '../orders/orderErrors.ts';
import { paymentWorkflowStreamId } from './paymentEvents.ts';
import type { paymentWorkflow, PaymentWorkflowInput, PaymentWorkflowState } from './paymentWorkflow.ts';

/** The deadlines of this workflow carry this name (the sweep routes by it). */
export const PAYMENT_WORKFLOW = 'payment';
const SYSTEM = { actor: null, actorRole: 'system' } as const;

/** Where the runner reports what it did: the process's structured logger (pino's shape), kept narrow here. */
export interface WorkflowLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface PaymentWorkflowDeps {
  readonly store: EventStore;
  readonly deadlines: DeadlineStore;
  readonly workflow: ReturnType<typeof paymentWorkflow>;
  readonly logger: WorkflowLog;
}

export interface InputContext {
  /** When the input is handled: the time of the workflow's decisions and of the commands it sends. */
  readonly now: Date;
  readonly correlationId: string;
  /** The event (or deadline) that is the input, for the audit trail. */
  readonly causationId: string | null;
  /**
   * The W3C trace context (`traceparent`) the input was handled in, stored in the metadata of the events the
   * workflow appends (as a command does), so their publishing and projecting continue the same trace.
   */
  readonly traceContext?: { readonly traceparent?: string; readonly tracestate?: string };
}

export async function runPaymentWorkflow(
  deps: PaymentWorkflowDeps,
  input: PaymentWorkflowInput,
  context: InputContext,
): Promise<PaymentWorkflowState> {
  const { orderId } = input.data;
  const streamId = paymentWorkflowStreamId(orderId);
  const { workflow } = deps;
  const { state, commands } = await runCommand({
    store: deps.store,
    commandName: 'PaymentWorkflow',
    occurredAt: context.now.toISOString(),
    metadata: { correlationId: context.correlationId, causationId: context.causationId, ...SYSTEM, ...context.traceContext },
    decide: async (load) => {
      const loaded = await load.aggregate(streamId, workflow);
      const outputs = workflow.decide(input, loaded.state);
      const events = outputs.flatMap((output) => (output.kind === 'Event' ? [output.event] : []));
      return {
        appends: [{ streamId, events }],
        result: {
          state: events.reduce(workflow.evolve, loaded.state),
          commands: outputs.flatMap((output) => (output.kind === 'Command' ? [output.command] : [])),
        },
      };
    },
  });

  await keepDeadline(deps.deadlines, streamId, state);
  for (const command of commands) {
    const rejected = await cancel(deps, command, context);
    if (rejected) return runPaymentWorkflow(deps, rejected, context);
  }
  return state;
}

async function keepDeadline(deadlines: DeadlineStore, streamId: string, state: PaymentWorkflowState): Promise<void> {
  switch (state.status) {
    case 'awaitingPayment':
    case 'cancelling':
      await deadlines.set({ id: streamId, workflow: PAYMENT_WORKFLOW, key: state.orderId, dueAt: state.dueAt });
      return;
    case 'closed':
      await deadlines.remove(streamId);
      return;
    case 'idle':
      return;
  }
}

/** Cancels the order; when the order refuses (it moved on first), returns the refusal as the workflow's next input. */
async function cancel(deps: PaymentWorkflowDeps, command: CancelOrder, context: InputContext): Promise<PaymentWorkflowInput | null> {
  try {
    const outcome = await runCommand({
      store: deps.store,
      commandName: command.type,
      occurredAt: command.cancelledAt,
      metadata: { correlationId: context.correlationId, causationId: context.causationId, ...SYSTEM, ...context.traceContext },
      decide: decideOnOrder(command),
      idempotency: { key: command.orderId, scope: `workflow:${PAYMENT_WORKFLOW}`, request: command },
    });
    deps.logger.info({ orderId: command.orderId, replayed: outcome.replayed }, 'order cancelled for non-payment');
    return null;
  } catch (error) {
    if (!(error instanceof InvalidOrderTransitionError)) throw error;
    deps.logger.info({ orderId: command.orderId, status: error.status }, 'payment timeout lost: the order moved on first');
    return {
      type: 'OrderCancellationRejected',
      data: { orderId: command.orderId, status: error.status, rejectedAt: context.now.toISOString() },
    };
  }
}

export interface SweepResult {
  readonly due: number;
  readonly fired: number;
  readonly failed: number;
}

/**
 * Hands every due deadline back to its workflow. A deadline that fails stays due and is fired again by the
 * next sweep; one sweep's failures do not stop the others.
 */
export async function sweepPaymentDeadlines(
  deps: PaymentWorkflowDeps,
  now: Date,
  options: { readonly limit?: number; readonly concurrency?: number } = {},
): Promise<SweepResult> {
  const due = (await deps.deadlines.due(now, options.limit ?? 500)).filter((d) => d.workflow === PAYMENT_WORKFLOW);
  let fired = 0;
  let failed = 0;
  const queue = [...due];
  const worker = async () => {
    for (let deadline = queue.shift(); deadline; deadline = queue.shift()) {
      try {
        await runPaymentWorkflow(
          deps,
          { type: 'PaymentDeadlineReached', data: { orderId: deadline.key, firedAt: now.toISOString() } },
          { now, correlationId: `deadline-${deadline.id}`, causationId: null },
        );
        fired++;
      } catch (error) {
        failed++;
        deps.logger.error({ err: error, deadline: deadline.id }, 'deadline not handled; the next sweep fires it again');
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  if (due.length > 0) deps.logger.info({ due: due.length, fired, failed }, 'payment deadlines swept');
  return { due: due.length, fired, failed };
}
