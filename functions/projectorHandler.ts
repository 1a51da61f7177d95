/**
 * Turns a projection into a functions-framework HTTP handler for Pub/Sub push deliveries.
 *
 * 204: applied or already applied (Pub/Sub acks). 400: the delivery is not a valid event message;
 * nothing is written and the reason is logged (redelivery cannot fix it, so the subscription's
 * dead-letter policy takes it out of the way). Anything else throws, the framework answers 500 and
 * Pub/Sub redelivers.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { handles, type AnyProjection } from '../src/core/projection.ts';
import type { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import type { Logger } from '../src/logger.ts';
import { MalformedPushError, parsePushedEvent } from '../src/pubsub/eventMessage.ts';
import {
  InvalidEventDataError,
  UnknownEventTypeError,
  UnsupportedEventVersionError,
  type EventRegistry,
} from '../src/core/eventRegistry.ts';
import type { EventEnvelope } from '../src/core/eventStore.ts';

function isEventSchemaError(error: unknown): error is UnknownEventTypeError | UnsupportedEventVersionError | InvalidEventDataError {
  return error instanceof UnknownEventTypeError || error instanceof UnsupportedEventVersionError || error instanceof InvalidEventDataError;
}

export interface ProjectorRuntime {
  readonly projector: FirestoreProjector;
  readonly logger: Logger;
  /** Lifts a delivered event to the current version of its type, or says why it can't. */
  readonly events: EventRegistry;
}

export function createProjectorHandler(projection: AnyProjection, runtime: () => ProjectorRuntime) {
  return async function projectorHandler(req: Request, res: Response): Promise<void> {
    const { projector, logger, events } = runtime();
    let delivery: ReturnType<typeof parsePushedEvent>;
    let event: EventEnvelope;
    try {
      delivery = parsePushedEvent(req.body);
      // An unknown type or a version newer than this code is refused, never guessed at: after the
      // subscription's last attempt it becomes a dead letter, to redrive once newer code is deployed.
      // A known type this projection does not read is passed through untouched: its data is no
      // business of this read model, and a bad one must not dead-letter here.
      event = !events.knows(delivery.event.type) || handles(projection, delivery.event) ? events.upcast(delivery.event) : delivery.event;
    } catch (error) {
      if (!(error instanceof MalformedPushError) && !isEventSchemaError(error)) throw error;
      logger.warn({ projection: projection.name, code: error.code, reason: error.message }, 'rejected push delivery');
      res.status(400).json({ error: { code: error.code, message: error.message } });
      return;
    }
    const { messageId } = delivery;
    const context = {
      projection: projection.name,
      messageId,
      eventId: event.eventId,
      streamId: event.streamId,
      version: event.version,
      type: event.type,
      correlationId: event.metadata.correlationId,
    };
    try {
      const outcome = await projector.apply(projection, event);
      logger.info({ ...context, outcome }, outcome.status === 'duplicate' ? 'event already applied' : 'event applied');
      res.status(204).end();
    } catch (error) {
      logger.error({ ...context, err: error }, 'projection failed; Pub/Sub will redeliver');
      throw error;
    }
  };
}
