/**
 * Turns a projection into a functions-framework HTTP handler for Pub/Sub push deliveries.
 *
 * 401/403: the push does not prove it comes from our push subscription (functions/authenticatePush.ts).
 * 204: applied, already applied, or of a type the projection does not read (Pub/Sub acks). 400: the delivery is not a valid event message;
 * nothing is written and the reason is logged (redelivery cannot fix it, so the subscription's
 * dead-letter policy takes it out of the way). Anything else throws, the framework answers 500 and
 * Pub/Sub redelivers.
 *
 * Traced: each delivery of an event the projection reads is a CONSUMER span `project <readModel>` continuing the
 * trace in the message's `traceparent` (the relay's publish), with the outcome (applied, gap_filled, duplicate,
 * rejected, error), a `gap fill` child span when missing events are read back, the transaction's attempts and
 * Pub/Sub's delivery attempt; the Firestore transaction that writes the view is inside it. A redelivery is one
 * more such span in the same trace. Counted in `eventloom.projection.events` by read model and outcome.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { AnyProjection } from '../src/core/projection.ts';
import type { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import type { Logger } from '../src/logger.ts';
import { MalformedPushError, parsePushedEvent, type PushedEvent } from '../src/pubsub/eventMessage.ts';
import type { PushAuthenticator } from '../src/pubsub/pushAuthentication.ts';
import { InvalidEventDataError, UnknownEventTypeError, UnsupportedEventVersionError } from '../src/core/eventRegistry.ts';
import { eventloomMetrics } from '../src/telemetry/metrics.ts';
import { ATTR, eventSpanAttributes, inMessageSpan, recordedTraceCarrier, SpanKind } from '../src/telemetry/tracing.ts';
import { authenticatePush } from './authenticatePush.ts';

type EventSchemaError = UnknownEventTypeError | UnsupportedEventVersionError | InvalidEventDataError;

/** A pushed event this code refuses (unknown type, newer version, data off its schema): a 400, never a retry. */
export function isEventSchemaError(error: unknown): error is EventSchemaError {
  return error instanceof UnknownEventTypeError || error instanceof UnsupportedEventVersionError || error instanceof InvalidEventDataError;
}

/** The `outcome` of `eventloom.projection.events` (docs/observability.md). */
type ProjectionOutcome = 'applied' | 'gap_filled' | 'duplicate' | 'ignored' | 'rejected' | 'error';

/** The span attributes of a pushed event: the messaging conventions, and which event it carries. */
export function messageSpanAttributes(delivery: PushedEvent): Record<string, string | number> {
  const { event } = delivery;
  return {
    'messaging.system': 'gcp_pubsub',
    'messaging.operation.type': 'process',
    'messaging.message.id': delivery.messageId,
    'messaging.destination.subscription.name': delivery.subscription.slice(delivery.subscription.lastIndexOf('/') + 1),
    ...(delivery.deliveryAttempt === null ? {} : { [ATTR.deliveryAttempt]: delivery.deliveryAttempt }),
    ...eventSpanAttributes(event),
    [ATTR.correlationId]: event.metadata.correlationId,
  };
}

export interface ProjectorRuntime {
  /** Lifts each event to the current version of its type, refusing unknown types and versions. */
  readonly projector: FirestoreProjector;
  readonly logger: Logger;
  readonly pushAuthenticator: PushAuthenticator;
}

export function createProjectorHandler(projection: AnyProjection, runtime: () => ProjectorRuntime) {
  return async function projectorHandler(req: Request, res: Response): Promise<void> {
    const { projector, logger, pushAuthenticator } = runtime();
    if (!(await authenticatePush(req, res, pushAuthenticator, logger, { projection: projection.name }))) return;
    const count = (outcome: ProjectionOutcome) => eventloomMetrics().eventsApplied.add(1, { read_model: projection.name, outcome });
    const reject = (error: MalformedPushError | EventSchemaError) => {
      count('rejected');
      logger.warn({ projection: projection.name, code: error.code, reason: error.message }, 'rejected push delivery');
      res.status(400).json({ error: { code: error.code, message: error.message } });
    };
    let delivery: PushedEvent;
    try {
      delivery = parsePushedEvent(req.body);
    } catch (error) {
      if (!(error instanceof MalformedPushError)) throw error;
      reject(error);
      return;
    }
    const { event, messageId } = delivery;
    const context = {
      projection: projection.name,
      messageId,
      eventId: event.eventId,
      streamId: event.streamId,
      version: event.version,
      type: event.type,
      correlationId: event.metadata.correlationId,
    };
    // The subscription's filter (src/pubsub/topology.ts) keeps other types away in the cloud; the Pub/Sub
    // emulator stores filters but pushes everything, and a redrive may publish anything, so the type is
    // checked here too, before any Firestore I/O. Skipped versions are read back from the stream, and
    // passed over, when a later event of the stream is applied (a gap fill), so the checkpoint moves past them.
    // No span either: in the cloud such deliveries do not happen, and locally they would fill every trace.
    if (projector.ignores(projection, event)) {
      count('ignored');
      logger.debug(context, 'event type not read by this projection');
      res.status(204).end();
      return;
    }
    await inMessageSpan(
      `project ${projection.name}`,
      delivery.attributes,
      {
        hop: 'projector',
        kind: SpanKind.CONSUMER,
        attributes: {
          ...messageSpanAttributes(delivery),
          [ATTR.readModel]: projection.name,
        },
      },
      async (span) => {
        try {
          // Stored beside the views written, so the live frames that carry them join this trace.
          const outcome = await projector.apply(projection, event, { trace: recordedTraceCarrier() });
          const name: ProjectionOutcome = outcome.status === 'duplicate' ? 'duplicate' : outcome.gapFilled > 0 ? 'gap_filled' : 'applied';
          span.setAttributes({ [ATTR.outcome]: name, [ATTR.transactionAttempts]: outcome.attempts });
          if (outcome.status === 'duplicate') span.addEvent('duplicate', { 'eventloom.checkpoint': outcome.checkpoint });
          else if (outcome.gapFilled > 0) span.setAttribute(ATTR.gapFilled, outcome.gapFilled);
          count(name);
          logger.info({ ...context, outcome }, outcome.status === 'duplicate' ? 'event already applied' : 'event applied');
          res.status(204).end();
        } catch (error) {
          // An unknown type, a version newer than this code or data that breaks its schema: refused, never
          // guessed at; after the subscription's last attempt it becomes a dead letter, to redrive once
          // newer code is deployed.
          if (isEventSchemaError(error)) {
            span.setAttribute(ATTR.outcome, 'rejected');
            reject(error);
            return;
          }
          span.setAttribute(ATTR.outcome, 'error');
          count('error');
          logger.error({ ...context, err: error }, 'projection failed; Pub/Sub will redeliver');
          throw error;
        }
      },
    );
  };
}
