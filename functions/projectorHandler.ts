/**
 * Turns a projection into a functions-framework HTTP handler for Pub/Sub push deliveries.
 *
 * 204: applied or already applied (Pub/Sub acks). 400: the delivery is not a valid event message;
 * nothing is written and the reason is logged (redelivery cannot fix it, so the subscription's
 * dead-letter policy takes it out of the way). Anything else throws, the framework answers 500 and
 * Pub/Sub redelivers.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { AnyProjection } from '../src/core/projection.ts';
import type { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import type { Logger } from '../src/logger.ts';
import { MalformedPushError, parsePushedEvent } from '../src/pubsub/eventMessage.ts';

export interface ProjectorRuntime {
  readonly projector: FirestoreProjector;
  readonly logger: Logger;
}

export function createProjectorHandler(projection: AnyProjection, runtime: () => ProjectorRuntime) {
  return async function projectorHandler(req: Request, res: Response): Promise<void> {
    const { projector, logger } = runtime();
    let delivery: ReturnType<typeof parsePushedEvent>;
    try {
      delivery = parsePushedEvent(req.body);
    } catch (error) {
      if (!(error instanceof MalformedPushError)) throw error;
      logger.warn({ projection: projection.name, reason: error.message }, 'rejected malformed push delivery');
      res.status(400).json({ error: { code: error.code, message: error.message } });
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
