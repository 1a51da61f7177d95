/**
 * How a domain event travels on Pub/Sub. Push deliveries carry no ordering key and no delivery
 * attempt, so everything a projector needs to route and guard the event is in the attributes.
 */
import { z } from 'zod';
import type { EventEnvelope } from '../core/eventStore.ts';
import type { IntegrationEvent } from '../integration/integrationEvents.ts';

export interface EventMessage {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
  readonly orderingKey: string;
}

export function toEventMessage(event: EventEnvelope): EventMessage {
  return {
    data: Buffer.from(JSON.stringify(event)),
    attributes: {
      eventId: event.eventId,
      streamId: event.streamId,
      version: String(event.version),
      type: event.type,
      schemaVersion: String(event.schemaVersion),
      correlationId: event.metadata.correlationId,
    },
    orderingKey: event.streamId,
  };
}

/** An integration event as a Pub/Sub message: the CloudEvent as JSON, its type and id in attributes for filtering. */
export function toIntegrationMessage(event: IntegrationEvent, orderingKey: string): EventMessage {
  return {
    data: Buffer.from(JSON.stringify(event)),
    attributes: { 'ce-type': event.type, 'ce-id': event.id, 'ce-source': event.source, 'ce-subject': event.subject },
    orderingKey,
  };
}

const EventEnvelopeSchema = z.object({
  eventId: z.string().min(1),
  streamId: z.string().min(1),
  version: z.number().int().positive(),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  data: z.record(z.string(), z.unknown()),
  occurredAt: z.iso.datetime({ offset: true }),
  metadata: z.looseObject({
    correlationId: z.string(),
    causationId: z.string().nullable(),
  }),
});

/** The body Pub/Sub POSTs to a push endpoint. */
export const PushEnvelopeSchema = z.object({
  subscription: z.string().min(1),
  /**
   * Which delivery of the message this is; Pub/Sub sends it when the subscription has a dead-letter policy (the
   * emulator never does). Read leniently: it only labels a span, and must never be why a delivery is refused.
   */
  deliveryAttempt: z.unknown().optional(),
  message: z.object({
    data: z.base64(),
    attributes: z.record(z.string(), z.string()).default({}),
    messageId: z.string().min(1),
    publishTime: z.string().optional(),
  }),
});

export class MalformedPushError extends Error {
  readonly code = 'PUSH.MALFORMED';
}

/** The event envelope in a message's base64 data, validated; MalformedPushError says why it is not one. */
export function decodeEventData(data: string): EventEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
  } catch {
    throw new MalformedPushError('Message data is not JSON');
  }
  const event = EventEnvelopeSchema.safeParse(json);
  if (!event.success) throw new MalformedPushError(`Message data is not an event envelope: ${z.prettifyError(event.error)}`);
  return event.data as EventEnvelope;
}

export interface PushedEvent {
  readonly event: EventEnvelope;
  readonly messageId: string;
  readonly subscription: string;
  /** The message's attributes: the routing fields, and the W3C trace context (`traceparent`) the relay sent. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly deliveryAttempt: number | null;
}

function deliveryAttemptOf(value: unknown): number | null {
  const attempt = Number(value);
  return value !== undefined && value !== null && Number.isInteger(attempt) && attempt > 0 ? attempt : null;
}

/** Validates a push body and the event inside it; the attributes must agree with the payload. */
export function parsePushedEvent(body: unknown): PushedEvent {
  const push = PushEnvelopeSchema.safeParse(body);
  if (!push.success) throw new MalformedPushError(`Not a Pub/Sub push envelope: ${z.prettifyError(push.error)}`);
  const event = decodeEventData(push.data.message.data);
  const { attributes } = push.data.message;
  if (attributes.streamId !== event.streamId || attributes.version !== String(event.version)) {
    throw new MalformedPushError('Message attributes disagree with the event payload');
  }
  return {
    event,
    messageId: push.data.message.messageId,
    subscription: push.data.subscription,
    attributes,
    deliveryAttempt: deliveryAttemptOf(push.data.deliveryAttempt),
  };
}
