/** Snapshots in Firestore: one document per stream, `snapshots/{streamId}`, always the newest taken. */
import type { Firestore } from '@google-cloud/firestore';
import type { Snapshot, SnapshotStore } from '../core/snapshots.ts';

const SNAPSHOTS = 'snapshots';

export class FirestoreSnapshotStore implements SnapshotStore {
  constructor(private readonly db: Firestore) {}

  async load(streamId: string): Promise<Snapshot | null> {
    const snapshot = await this.db.collection(SNAPSHOTS).doc(streamId).get();
    return snapshot.exists ? (snapshot.data() as Snapshot) : null;
  }

  async save(snapshot: Snapshot): Promise<void> {
    const ref = this.db.collection(SNAPSHOTS).doc(snapshot.streamId);
    await this.db.runTransaction(async (tx) => {
      const current = await tx.get(ref);
      // A newer snapshot of the same shape wins; one of another shape is replaced, since only the
      // shape in the running code's policy can be used.
      const newerOfSameShape =
        current.exists && (current.get('version') as number) >= snapshot.version && current.get('stateVersion') === snapshot.stateVersion;
      if (!newerOfSameShape) tx.set(ref, { ...snapshot, takenAt: new Date() });
    });
  }
}
