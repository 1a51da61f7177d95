/**
 * Applies projection events to Firestore read models, exactly once in effect.
 *
 * Deliveries are at-least-once and may arrive out of order across retries. For every (projection,
 * stream) pair a checkpoint records the last stream version applied; in one transaction the
 * projector reads the checkpoint, skips what is already applied, reads any missing earlier events
 * from the event store (a gap), evolves the affected view documents and moves the checkpoint.
 */
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import type { EventEnvelope, EventStore } from '../core/eventStore.ts';
import { handles, type AnyProjection, type Projection } from '../core/projection.ts';

export const PROJECTIONS = 'projections';

export type ApplyOutcome =
  | { readonly status: 'applied'; readonly eventsApplied: number; readonly gapFilled: number }
  | { readonly status: 'duplicate'; readonly checkpoint: number };

export function readModelCollectionName(projection: Pick<Projection<unknown>, 'name' | 'version'>): string {
  return `${projection.name}-v${projection.version}`;
}

export class FirestoreProjector {
  constructor(
    private readonly db: Firestore,
    private readonly store: EventStore,
  ) {}

  viewRef<View>(projection: AnyProjection<View>, viewId: string): DocumentReference {
    return this.db.collection(readModelCollectionName(projection)).doc(viewId);
  }

  checkpointRef(projection: Pick<Projection<unknown>, 'name' | 'version'>, streamId: string): DocumentReference {
    return this.db
      .collection(PROJECTIONS)
      .doc(readModelCollectionName(projection))
      .collection('checkpoints')
      .doc(streamId);
  }

  async apply<View>(projection: AnyProjection<View>, event: EventEnvelope): Promise<ApplyOutcome> {
    const checkpointRef = this.checkpointRef(projection, event.streamId);
    return this.db.runTransaction(async (tx) => {
      const checkpoint = ((await tx.get(checkpointRef)).get('version') as number | undefined) ?? 0;
      if (event.version <= checkpoint) return { status: 'duplicate', checkpoint };

      const missing =
        event.version > checkpoint + 1
          ? await this.store.readStream(event.streamId, { fromVersion: checkpoint + 1, toVersion: event.version - 1 })
          : [];
      if (missing.length !== event.version - checkpoint - 1) {
        throw new Error(
          `Stream ${event.streamId} has ${missing.length} events between ${checkpoint} and ${event.version}; expected ${event.version - checkpoint - 1}`,
        );
      }
      const relevant = [...missing, event].filter((e) => handles(projection as Projection<View>, e));

      const viewIds = [...new Set(relevant.flatMap((e) => projection.viewIds(e as never)))];
      const refs = viewIds.map((id) => this.viewRef(projection, id));
      const snapshots = refs.length > 0 ? await tx.getAll(...refs) : [];
      const views = new Map<string, View | null>(
        snapshots.map((s, i) => [viewIds[i]!, s.exists ? (s.data() as View) : null]),
      );
      for (const e of relevant) {
        for (const id of projection.viewIds(e as never)) {
          views.set(id, projection.evolve(views.get(id) ?? null, e as never));
        }
      }
      views.forEach((view, id) => {
        if (view !== null) tx.set(this.viewRef(projection, id), view as object);
      });
      tx.set(checkpointRef, { version: event.version, eventId: event.eventId, updatedAt: new Date() });
      return { status: 'applied', eventsApplied: relevant.length, gapFilled: missing.length };
    });
  }
}
