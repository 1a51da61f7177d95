/** Read-your-writes (the ReadYourWrites port) on Firestore: a listener on the projection's checkpoint for the stream. */
import type { AnyProjection } from '../core/projection.ts';
import type { Consistency, ConsistencyToken, ReadYourWrites } from '../core/readYourWrites.ts';
import type { FirestoreProjector } from './firestoreProjector.ts';

export class FirestoreReadYourWrites implements ReadYourWrites {
  /** The projector whose checkpoints say what each read model has applied. */
  constructor(private readonly projector: FirestoreProjector) {}

  async waitFor(projection: AnyProjection, token: ConsistencyToken, timeoutMs: number): Promise<Consistency> {
    const ref = this.projector.checkpointRef(await this.projector.activeTarget(projection), token.streamId);
    return new Promise<Consistency>((resolve) => {
      let checkpoint = 0;
      let settled = false;
      const finish = (result: Consistency) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        resolve(result);
      };
      const timer = setTimeout(() => finish({ reached: false, checkpoint }), timeoutMs);
      const unsubscribe = ref.onSnapshot(
        (snapshot) => {
          checkpoint = (snapshot.get('version') as number | undefined) ?? 0;
          if (checkpoint >= token.version) finish({ reached: true });
        },
        () => finish({ reached: false, checkpoint }),
      );
    });
  }
}
