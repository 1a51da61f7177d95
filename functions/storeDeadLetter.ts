/**
 * The dead-letter sink: each projector's dead-letter topic has a push subscription to this function,
 * which keeps every dead letter in Firestore where it can be listed, inspected, redriven or skipped
 * (`npm run projections -- dead-letters ...`, or the admin GraphQL operations).
 *
 * A dead letter keeps the original message's attributes, its `traceparent` too: it is recorded in a CONSUMER span
 * `dead-letter <readModel>` in the trace of the event's publish, beside the failed `project <readModel>` spans,
 * and counted in `eventloom.projection.dead_letters` by read model.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { z } from 'zod';
import type { DeadLetterSink } from '../src/core/deadLetters.ts';
import type { EventEnvelope } from '../src/core/eventStore.ts';
import type { Logger } from '../src/logger.ts';
import { decodeEventData, PushEnvelopeSchema } from '../src/pubsub/eventMessage.ts';
import type { PushAuthenticator } from '../src/pubsub/pushAuthentication.ts';
import { eventloomMetrics } from '../src/telemetry/metrics.ts';
import { ATTR, eventSpanAttributes, inMessageSpan, SpanKind } from '../src/telemetry/tracing.ts';
import { authenticatePush } from './authenticatePush.ts';

export interface DeadLetterRuntime {
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  /** Which read model a dead-letter subscription belongs to, from its short name. */
  readModelOf(subscription: string): string | null;
  readonly pushAuthenticator: PushAuthenticator;
}

export function createDeadLetterHandler(runtime: () => DeadLetterRuntime) {
  return async function storeDeadLetter(req: Request, res: Response): Promise<void> {
    const { deadLetters, logger, readModelOf, pushAuthenticator } = runtime();
    // Checked like the projectors' pushes: otherwise anyone could fill the dead letters an operator redrives.
    if (!(await authenticatePush(req, res, pushAuthenticator, logger, { function: 'storeDeadLetter' }))) return;
    const push = PushEnvelopeSchema.safeParse(req.body);
    if (!push.success) {
      logger.warn({ reason: z.prettifyError(push.error) }, 'rejected a malformed dead-letter delivery');
      res.status(400).json({ error: { code: 'PUSH.MALFORMED', message: 'Not a Pub/Sub push envelope' } });
      return;
    }
    const { subscription, message } = push.data;
    const shortName = subscription.split('/').at(-1) ?? subscription;
    const readModel = readModelOf(shortName);
    if (!readModel) {
      logger.error({ subscription }, 'dead letter from an unknown subscription');
      res.status(400).json({ error: { code: 'DEAD_LETTER.UNKNOWN_SUBSCRIPTION', message: `Unknown subscription ${shortName}` } });
      return;
    }
    const event = parseEvent(message.data);
    const attempts = Number(message.attributes.CloudPubSubDeadLetterSourceDeliveryCount);
    await inMessageSpan(
      `dead-letter ${readModel}`,
      message.attributes,
      {
        hop: 'projector',
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'gcp_pubsub',
          'messaging.operation.type': 'process',
          'messaging.message.id': message.messageId,
          [ATTR.readModel]: readModel,
          ...(Number.isFinite(attempts) ? { [ATTR.deliveryAttempt]: attempts } : {}),
          ...(event ? eventSpanAttributes(event) : {}),
        },
      },
      () =>
        deadLetters.record({
          id: message.messageId,
          readModel,
          data: message.data,
          attributes: message.attributes,
          event,
          deliveryAttempts: Number.isFinite(attempts) ? attempts : null,
          deadLetteredAt: message.publishTime ?? new Date().toISOString(),
        }),
    );
    eventloomMetrics().deadLetters.add(1, { read_model: readModel });
    logger.error(
      { readModel, deadLetterId: message.messageId, streamId: event?.streamId, version: event?.version, type: event?.type },
      'event dead-lettered: the projector gave up on it',
    );
    res.status(204).end();
  };
}

/** The event inside, when the message is one: a dead letter may be anything that was published. */
function parseEvent(data: string): EventEnvelope | null {
  try {
    return decodeEventData(data);
  } catch {
    return null;
  }
}
