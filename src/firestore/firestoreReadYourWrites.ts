/**
 * Read-your-writes (the ReadYourWrites port) on Firestore: a listener on the projection's checkpoint for the
 * stream, backed by reads of it.
 *
 * The listener answers most waits, as soon as the projector commits. The Firestore emulator's listeners are not
 * always so reliable: one registered while the checkpoint is being created can miss the write and stay silent,
 * or its stream can close with a response the client does not know ("Unknown listen response type"), and a query
 * then waited for its whole `waitMs` although the read model had caught up long before. So a wait the listener
 * has not answered reads the checkpoint itself, RECHECK_FIRST_MS after it began and then at doubling intervals
 * (a 10 s wait reads it at most five times). Only a wait that is already slow pays those reads.
 */
import type { DocumentSnapshot } from '@google-cloud/firestore';
import type { AnyProjection } from '../core/projection.ts';
import type { Consistency, ConsistencyToken, ReadYourWrites } from '../core/readYourWrites.ts';
import type { FirestoreProjector } from './firestoreProjector.ts';

/** When a wait the listener has not answered first reads the checkpoint itself. */
export const RECHECK_FIRST_MS = 500;

export class FirestoreReadYourWrites implements ReadYourWrites {
  /** The projector whose checkpoints say what each read model has applied. */
  constructor(private readonly projector: FirestoreProjector) {}

  async waitFor(projection: AnyProjection, token: ConsistencyToken, timeoutMs: number): Promise<Consistency> {
    const ref = this.projector.checkpointRef(await this.projector.activeTarget(projection), token.streamId);
    return new Promise<Consistency>((resolve) => {
      // The highest version seen: checkpoints only move forward, whatever a stale snapshot says.
      let checkpoint = 0;
      let settled = false;
      let recheck: NodeJS.Timeout | undefined;
      const finish = (result: Consistency) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(recheck);
        unsubscribe();
        resolve(result);
      };
      const seen = (snapshot: DocumentSnapshot) => {
        checkpoint = Math.max(checkpoint, (snapshot.get('version') as number | undefined) ?? 0);
        if (checkpoint >= token.version) finish({ reached: true });
      };
      // Reads at RECHECK_FIRST_MS after the start, then at twice that, four times, ..., until the wait ends.
      const readAt = (atMs: number, afterMs: number) => {
        if (atMs >= timeoutMs) return;
        recheck = setTimeout(() => {
          // A failed read is tried again at the next one, like a silent listener.
          ref.get().then(seen, () => {});
          readAt(atMs * 2, atMs);
        }, afterMs);
      };
      const timer = setTimeout(() => finish({ reached: false, checkpoint }), timeoutMs);
      // A listener that failed leaves the reads to answer.
      const unsubscribe = ref.onSnapshot(seen, () => {});
      readAt(RECHECK_FIRST_MS, RECHECK_FIRST_MS);
    });
  }
}
