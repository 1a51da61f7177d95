/**
 * The event store on Firestore.
 *
 * Layout: `streams/{streamId}/events/{version, zero-padded}` holds one event per document, so a stream
 * is a subcollection. An append `create()`s the documents for the next versions: if another writer got
 * there first, `create()` fails at once with ALREADY_EXISTS and the whole commit is rejected. That gives
 * optimistic concurrency without the lock waits of a read-write transaction, which on a contended
 * stream take seconds on the emulator and can abort (see bench/ for the measured difference).
 *
 * Each event document is also its own outbox entry: it is committed with `pending: true` and its stream's
 * `partition`, and the relay that holds the partition publishes it and deletes the marker (so it leaves the
 * relay's index). Nothing committed can be lost, since the marker is in the very document that holds the
 * event, and an append writes nothing but its events (and the idempotency record when the command carried a
 * key) in one commit.
 */
import { FieldValue, Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { ConcurrencyError } from '../core/errors.ts';
import type {
  AppendOptions,
  AppendResult,
  EventEnvelope,
  EventStore,
  IdempotencyRecord,
  ReadStreamOptions,
  StreamAppend,
} from '../core/eventStore.ts';
import { envelopeFromDocument } from './eventDocument.ts';
import { streamPartitions } from './partitionLayout.ts';

export const STREAMS = 'streams';
export const EVENTS = 'events';
/**
 * The outbox marker on an event document: present (true) until a relay has published the event, then deleted,
 * so the relay's index (partition, pending, recordedAt) holds only what is still to publish.
 */
export const PENDING = 'pending';
const IDEMPOTENCY_KEYS = 'idempotencyKeys';

/** gRPC status ALREADY_EXISTS: a `create()` met an existing document. */
const ALREADY_EXISTS = 6;
/**
 * gRPC status ABORTED: the transaction lost a lock race with another writer of the same stream (the
 * emulator's "Transaction lock timeout"; production's contention aborts). Another writer got there first,
 * which is what ConcurrencyError says: the command decides again.
 */
const ABORTED = 10;

export function eventDocumentId(version: number): string {
  return String(version).padStart(10, '0');
}

export class FirestoreEventStore implements EventStore {
  /**
   * This store's appends in flight, which decide how an append that reads nothing is sent. Both ways send one
   * Commit with the same creates. A lone append goes as a batch: the transaction runner would wait a timer
   * tick before its first attempt (bench (a), one writer: the runner at about 0.75x a batch). Appends that
   * overlap others go through the runner: WriteBatch.commit() wraps its request in google-gax's retry
   * machinery, whose cost grows with concurrent requests (32 writers: a batch at about 0.65x the runner).
   */
  private inFlight = 0;

  constructor(
    private readonly db: Firestore,
    private readonly options: {
      /** Called after each append that committed events: the emulators' polling relay looks at once (OutboxRelay.nudge). */
      readonly onCommitted?: () => void;
    } = {},
  ) {}

  eventsOf(streamId: string) {
    return this.db.collection(STREAMS).doc(streamId).collection(EVENTS);
  }

  async appendToStreams(appends: readonly StreamAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const resolved = await Promise.all(
      appends.map(async (append) =>
        append.expectedVersion === 'any'
          ? // The version just read is one the stream has reached: nothing left to prove.
            { ...append, expectedVersion: await this.currentVersion(append.streamId), readAtExpectedVersion: true }
          : { ...append, expectedVersion: append.expectedVersion },
      ),
    );

    const layout = await streamPartitions(this.db);
    const now = Date.now();
    const envelopes: EventEnvelope[] = [];
    const writes: Array<{ ref: DocumentReference; data: object }> = [];
    for (const { streamId, expectedVersion, events } of resolved) {
      const partition = layout.partitionOf(streamId, now);
      events.forEach((event, index) => {
        const envelope: EventEnvelope = {
          eventId: event.eventId,
          streamId,
          version: expectedVersion + index + 1,
          type: event.type,
          schemaVersion: event.schemaVersion ?? 1,
          data: event.data,
          occurredAt: event.occurredAt,
          metadata: event.metadata,
        };
        envelopes.push(envelope);
        writes.push({
          ref: this.eventsOf(streamId).doc(eventDocumentId(envelope.version)),
          data: { ...envelope, partition, recordedAt: FieldValue.serverTimestamp(), [PENDING]: true },
        });
      });
    }
    if (options.idempotency) {
      writes.push({
        ref: this.db.collection(IDEMPOTENCY_KEYS).doc(options.idempotency.key),
        // `expireAt` is what the TTL policy on idempotencyKeys deletes by (see firestore.indexes.json).
        data: {
          ...options.idempotency,
          expireAt: Timestamp.fromDate(new Date(options.idempotency.expiresAt)),
          createdAt: FieldValue.serverTimestamp(),
        },
      });
    }

    // An append at version > 0 from a caller that did not read the stream there must also prove that the
    // stream really reached that version (a caller could expect a version the stream never reached, and a
    // blind create() would leave a gap). Callers that read it, as commands do, skip the read: the create() of
    // the next version is the whole concurrency check.
    const mustExist = resolved.filter((a) => a.expectedVersion > 0 && a.events.length > 0 && !a.readAtExpectedVersion);
    this.inFlight++;
    try {
      if (mustExist.length === 0 && this.inFlight === 1) {
        const batch = this.db.batch();
        for (const { ref, data } of writes) batch.create(ref, data);
        await batch.commit();
      } else {
        await this.db.runTransaction(
          async (tx) => {
            if (mustExist.length > 0) {
              const previous = await tx.getAll(...mustExist.map((a) => this.eventsOf(a.streamId).doc(eventDocumentId(a.expectedVersion))));
              previous.forEach((snapshot, i) => {
                const append = mustExist[i]!;
                if (!snapshot.exists) throw new ConcurrencyError(append.streamId, append.expectedVersion);
              });
            }
            for (const { ref, data } of writes) tx.create(ref, data);
          },
          // ALREADY_EXISTS or ABORTED means another writer got there first: the command decides again.
          { maxAttempts: 1 },
        );
      }
    } catch (error) {
      if (isAlreadyExists(error) || hasCode(error, ABORTED)) {
        const first = resolved[0]!;
        throw new ConcurrencyError(first.streamId, first.expectedVersion, { cause: error });
      }
      throw error;
    } finally {
      this.inFlight--;
    }
    if (envelopes.length > 0) this.options.onCommitted?.();

    return {
      streams: resolved.map((a) => ({ streamId: a.streamId, nextExpectedVersion: a.expectedVersion + a.events.length })),
      events: envelopes,
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<EventEnvelope[]> {
    let query = this.eventsOf(streamId).where('version', '>=', options.fromVersion ?? 1);
    if (options.toVersion !== undefined) query = query.where('version', '<=', options.toVersion);
    const snapshot = await query.orderBy('version').get();
    return snapshot.docs.map((doc) => envelopeFromDocument(doc.data()));
  }

  async findIdempotencyRecord(key: string): Promise<IdempotencyRecord | null> {
    const snapshot = await this.db.collection(IDEMPOTENCY_KEYS).doc(key).get();
    if (!snapshot.exists) return null;
    const { requestHash, result, expiresAt } = snapshot.data() as IdempotencyRecord;
    return { key, requestHash, result, expiresAt };
  }

  private async currentVersion(streamId: string): Promise<number> {
    const last = await this.eventsOf(streamId).orderBy('version', 'desc').limit(1).get();
    return (last.docs[0]?.get('version') as number | undefined) ?? 0;
  }
}

function isAlreadyExists(error: unknown): boolean {
  return hasCode(error, ALREADY_EXISTS);
}

function hasCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
