/**
 * The payment workflow's two entry points as HTTP functions:
 *
 * - `runPaymentWorkflow`: Pub/Sub pushes the order's events (its subscription's filter lets through only
 *   the types the workflow reacts to); each one is decided on the workflow's stream. 204 when handled (or not
 *   ours), 400 for a delivery that is not a valid event message (dead-lettered after the last attempt), 500
 *   otherwise, and Pub/Sub redelivers.
 * - `sweepPaymentDeadlines`: Cloud Scheduler calls it every minute (with an OIDC token, checked like a
 *   push's); `npm run dev` calls it from a timer. It answers with what it swept.
 *
 * Each event the workflow reacts to is handled in a CONSUMER span `workflow payment`, continuing the trace in the
 * message's `traceparent`; the events the workflow appends carry that span's context, so their publishing and
 * projecting join the order's trace.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { UnknownEventTypeError } from '../src/core/eventRegistry.ts';
import type { EventEnvelope } from '../src/core/eventStore.ts';
import { PAYMENT_WORKFLOW_ORDER_EVENTS, type PaymentWorkflowInput } from '../src/fulfilment/paymentWorkflow.ts';
import { runPaymentWorkflow, sweepPaymentDeadlines, type PaymentWorkflowDeps } from '../src/fulfilment/paymentWorkflowRunner.ts';
import type { Logger } from '../src/logger.ts';
import { MalformedPushError, parsePushedEvent, type PushedEvent } from '../src/pubsub/eventMessage.ts';
import type { PushAuthenticator } from '../src/pubsub/pushAuthentication.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { ATTR, currentTraceCarrier, inMessageSpan, SpanKind } from '../src/telemetry/tracing.ts';
import { authenticatePush } from './authenticatePush.ts';
import { isEventSchemaError, messageSpanAttributes } from './projectorHandler.ts';

export interface WorkflowRuntime {
  readonly deps: PaymentWorkflowDeps;
  /** Opens the event's sealed personal data (crypto-shredding), as every reader of events must. */
  readonly openPersonalData: (event: EventEnvelope) => Promise<EventEnvelope>;
  readonly logger: Logger;
  readonly pushAuthenticator: PushAuthenticator;
}

const reactsTo = new Set<string>(PAYMENT_WORKFLOW_ORDER_EVENTS);

export function createPaymentWorkflowHandler(runtime: () => WorkflowRuntime) {
  return async function paymentWorkflowHandler(req: Request, res: Response): Promise<void> {
    const { deps, logger, pushAuthenticator, openPersonalData } = runtime();
    if (!(await authenticatePush(req, res, pushAuthenticator, logger, { workflow: 'payment' }))) return;
    let input: PaymentWorkflowInput | null = null;
    let delivery: PushedEvent;
    try {
      delivery = parsePushedEvent(req.body);
      const { event } = delivery;
      // An unknown type is refused (dead-lettered, to redrive once newer code knows it); a known type the
      // workflow does not read is acknowledged without any I/O (the emulator does not apply subscription filters).
      if (!shopEvents.knows(event.type)) throw new UnknownEventTypeError(event.type);
      if (reactsTo.has(event.type)) {
        // Opened, then lifted to the current version of its type, as the projectors see it.
        const current = shopEvents.upcast(await openPersonalData(event));
        input = { type: current.type, data: current.data } as PaymentWorkflowInput;
      }
    } catch (error) {
      if (!(error instanceof MalformedPushError || isEventSchemaError(error))) throw error;
      logger.warn({ workflow: 'payment', code: error.code, reason: error.message }, 'rejected push delivery');
      res.status(400).json({ error: { code: error.code, message: error.message } });
      return;
    }
    if (input) {
      const { event } = delivery;
      const handled = input;
      await inMessageSpan(
        'workflow payment',
        delivery.attributes,
        { hop: 'workflow', kind: SpanKind.CONSUMER, attributes: { ...messageSpanAttributes(delivery), [ATTR.command]: 'PaymentWorkflow' } },
        () =>
          runPaymentWorkflow(deps, handled, {
            now: new Date(),
            correlationId: event.metadata.correlationId,
            causationId: event.eventId,
            traceContext: currentTraceCarrier(),
          }),
      );
    }
    res.status(204).end();
  };
}

export function createDeadlineSweepHandler(runtime: () => WorkflowRuntime) {
  return async function deadlineSweepHandler(req: Request, res: Response): Promise<void> {
    const { deps, logger, pushAuthenticator } = runtime();
    if (!(await authenticatePush(req, res, pushAuthenticator, logger, { sweep: 'payment deadlines' }))) return;
    res.status(200).json(await sweepPaymentDeadlines(deps, new Date()));
  };
}
