/** Turns a stored event document back into an envelope, dropping storage-only fields. */
import type { DocumentData } from '@google-cloud/firestore';
import type { EventEnvelope } from '../core/eventStore.ts';

export function envelopeFromDocument(data: DocumentData): EventEnvelope {
  return {
    eventId: data.eventId,
    streamId: data.streamId,
    version: data.version,
    type: data.type,
    schemaVersion: data.schemaVersion,
    data: data.data,
    occurredAt: data.occurredAt,
    metadata: data.metadata,
  };
}
