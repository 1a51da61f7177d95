/**
 * Dead letters in Firestore (`deadLetters/{messageId}`): `FirestoreDeadLetters` is the collection (what
 * the sink records, and reading it back); `FirestoreDeadLetterQueue` adds the operator's two ways out of
 * the queue, redrive (republish the original message to the domain events topic) and skip (a marker
 * that lets the projector pass over that event from then on).
 */
import { FieldPath, type Firestore } from '@google-cloud/firestore';
import type { Topic } from '@google-cloud/pubsub';
import {
  DeadLetterAlreadyResolvedError,
  DeadLetterNotFoundError,
  type DeadLetter,
  type DeadLetterListOptions,
  type DeadLetterPage,
  type DeadLetterQueue,
  type DeadLetterSink,
  type DeadLetterStatus,
  type NewDeadLetter,
} from '../core/deadLetters.ts';
import type { AnyProjection } from '../core/projection.ts';
import type { FirestoreProjector } from './firestoreProjector.ts';

export const DEAD_LETTERS = 'deadLetters';

export class FirestoreDeadLetters implements DeadLetterSink {
  constructor(protected readonly db: Firestore) {}

  async record(deadLetter: NewDeadLetter): Promise<void> {
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
  async list(options: DeadLetterListOptions = {}): Promise<DeadLetterPage> {
    const first = Math.min(options.first ?? 50, 500);
    let query = this.db
      .collection(DEAD_LETTERS)
      .orderBy(FieldPath.documentId())
      .limit(first + 1);
    if (options.status) query = query.where('status', '==', options.status);
    if (options.readModel) query = query.where('readModel', '==', options.readModel);
    if (options.after) query = query.startAfter(options.after);
    const docs = (await query.get()).docs;
    const page = docs.slice(0, first).map((d) => d.data() as DeadLetter);
    return { deadLetters: page, endCursor: docs.length > first ? (page.at(-1)?.id ?? null) : null };
  }
}

/** The one thing a redrive asks of a Pub/Sub topic. */
export interface RedriveTopic {
  publishMessage(message: Parameters<Topic['publishMessage']>[0]): Promise<string>;
}

/** What resolving a dead letter needs besides the collection. */
export interface DeadLetterResolution {
  /** Where a redriven dead letter is republished: the domain events topic (a Pub/Sub Topic, or one loaded on demand). */
  readonly redriveTopic: RedriveTopic;
  /** Whose skip markers a skip writes. */
  readonly projector: FirestoreProjector;
  /** The read models a dead letter may name. */
  readonly projections: readonly AnyProjection[];
}

export class FirestoreDeadLetterQueue extends FirestoreDeadLetters implements DeadLetterQueue {
  constructor(
    db: Firestore,
    private readonly resolution: DeadLetterResolution,
  ) {
    super(db);
  }

  async redrive(id: string, actor: string | null): Promise<DeadLetter> {
    const deadLetter = await this.pending(id);
    const orderingKey = deadLetter.attributes.streamId ?? deadLetter.event?.streamId;
    await this.resolution.redriveTopic.publishMessage({
      data: Buffer.from(deadLetter.data, 'base64'),
      attributes: { ...deadLetter.attributes, redrivenFrom: id },
      ...(orderingKey ? { orderingKey } : {}),
    });
    return this.resolve(id, 'REDRIVEN', actor);
  }

  async skip(id: string, actor: string | null): Promise<DeadLetter> {
    const deadLetter = await this.pending(id);
    const projection = this.resolution.projections.find((p) => p.name === deadLetter.readModel);
    if (deadLetter.event && projection) {
      await this.resolution.projector.skipMarkerRef(projection, deadLetter.event.eventId).set({
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
