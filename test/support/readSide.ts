/**
 * Puts events in the store and projects them into every view at once, through the real projector
 * (checkpoints, transactions, Firestore emulator) but without Pub/Sub: read-side API tests then
 * start from exactly the views these events produce.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { DomainEvent } from '../../src/core/eventStore.ts';
import type { AnyProjection } from '../../src/core/projection.ts';
import { FirestoreEventStore } from '../../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../../src/firestore/firestoreProjector.ts';
import { projectors } from '../../functions/index.ts';

/** Every projection the deployed functions run. */
export const READ_SIDE_PROJECTIONS: readonly AnyProjection[] = Object.values(projectors);

export function readSideRecorder(db: Firestore) {
  const store = new FirestoreEventStore(db);
  const projector = new FirestoreProjector(db, store);
  const versions = new Map<string, number>();
  return {
    store,
    /** Appends events to a stream (each happening at `at`) and applies them to every view. */
    async record(streamId: string, events: DomainEvent[], at = new Date().toISOString()): Promise<void> {
      const expected = versions.get(streamId) ?? 0;
      const { events: stored } = await store.appendToStreams([
        {
          streamId,
          expectedVersion: expected,
          events: events.map((e) => ({
            eventId: randomUUID(),
            type: e.type,
            data: e.data,
            occurredAt: at,
            metadata: { correlationId: 'seed', causationId: null },
          })),
        },
      ]);
      versions.set(streamId, expected + stored.length);
      for (const event of stored) {
        await Promise.all(READ_SIDE_PROJECTIONS.map((projection) => projector.apply(projection, event)));
      }
    },
  };
}
