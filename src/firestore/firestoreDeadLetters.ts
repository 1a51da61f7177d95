/**
 * Dead letters in Firestore (`deadLetters/{messageId}`), and the two ways out of the queue: redrive
 * (republish the original message to the domain events topic; projectors are idempotent, so the ones
 * that had applied it ignore it) and skip (the projector passes over that event from then on).
 */
import { FieldPath, type Firestore } from '@google-cloud/firestore';
import type { Topic } from '@google-cloud/pubsub';
import { DeadLetterAlreadyResolvedError, DeadLetterNotFoundError, type DeadLetter, type DeadLetterStatus } from '../deadLetters/deadLetter.ts';
import type { FirestoreProjector } from './firestoreProjector.ts';
import type { AnyProjection } from '../core/projection.ts';

export const DEAD_LETTERS = 'deadLetters';

export interface DeadLetterPage {
  readonly deadLetters: DeadLetter[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly endCursor: string | null;
}

export class FirestoreDeadLetters {
  constructor(private readonly db: Firestore) {}

  /** Idempotent: Pub/Sub may deliver the same dead letter twice. */
  async record(deadLetter: Omit<DeadLetter, 'status' | 'resolvedAt' | 'resolvedBy'>): Promise<void> {
    const ref = this.db.collection(DEAD_LETTERS).doc(deadLetter.id);
    await this.db.runTransaction(async (tx) => {
      if ((await tx.get(ref)).exists) return;
      tx.create(ref, { ...deadLetter, status: 'PENDING', resolvedAt: null, resolvedBy: null });
    });
  }

  async get(id: string): Promise<DeadLetter | null> {
    const snapshot = await this.db.collection(DEAD_LETTERS).doc(id).get();
    return snapshot.exists ? (snapshot.data() as DeadLetter) : null;
  }

  /** Oldest first, by id for a stable cursor. */
  async list(options: { status?: DeadLetterStatus; readModel?: string; first?: number; after?: string | null } = {}): Promise<DeadLetterPage> {
    const first = Math.min(options.first ?? 50, 500);
    let query = this.db.collection(DEAD_LETTERS).orderBy(FieldPath.documentId()).limit(first + 1);
    if (options.status) query = query.where('status', '==', options.status);
    if (options.readModel) query = query.where('readModel', '==', options.readModel);
    if (options.after) query = query.startAfter(options.after);
    const docs = (await query.get()).docs;
    const page = docs.slice(0, first).map((d) => d.data() as DeadLetter);
    return { deadLetters: page, endCursor: docs.length > first ? (page.at(-1)?.id ?? null) : null };
  }

  /** Republishes the original message to the domain events topic and marks the dead letter redriven. */
  async redrive(id: string, topic: Topic, actor: string | null): Promise<DeadLetter> {
    const deadLetter = await this.pending(id);
    const orderingKey = deadLetter.attributes.streamId ?? deadLetter.event?.streamId;
    await topic.publishMessage({
      data: Buffer.from(deadLetter.data, 'base64'),
      attributes: { ...deadLetter.attributes, redrivenFrom: id },
      ...(orderingKey ? { orderingKey } : {}),
    });
    return this.resolve(id, 'REDRIVEN', actor);
  }

  /**
   * Marks the dead letter skipped and tells its projector to pass over the event from now on. Without
   * an event (the message was not one), there is nothing to pass over: the dead letter is just closed.
   */
  async skip(id: string, projector: FirestoreProjector, projections: readonly AnyProjection[], actor: string | null): Promise<DeadLetter> {
    const deadLetter = await this.pending(id);
    const projection = projections.find((p) => p.name === deadLetter.readModel);
    if (deadLetter.event && projection) {
      await projector.skipMarkerRef(projection, deadLetter.event.eventId).set({
        deadLetterId: id,
        streamId: deadLetter.event.streamId,
        version: deadLetter.event.version,
        skippedAt: new Date(),
        skippedBy: actor,
      });
    }
    return this.resolve(id, 'SKIPPED', actor);
  }

  private async pending(id: string): Promise<DeadLetter> {
    const deadLetter = await this.get(id);
    if (!deadLetter) throw new DeadLetterNotFoundError(id);
    if (deadLetter.status !== 'PENDING') throw new DeadLetterAlreadyResolvedError(id, deadLetter.status);
    return deadLetter;
  }

  private async resolve(id: string, status: DeadLetterStatus, actor: string | null): Promise<DeadLetter> {
    const ref = this.db.collection(DEAD_LETTERS).doc(id);
    await ref.update({ status, resolvedAt: new Date().toISOString(), resolvedBy: actor });
    return (await ref.get()).data() as DeadLetter;
  }
}
