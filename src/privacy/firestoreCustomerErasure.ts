/**
 * Forgetting a customer on Firestore: destroys their data key, which erases every sealed copy of their
 * personal data at once (events, outbox records, Pub/Sub messages, dead letters of events written since
 * encryption), and purges the copies that are not sealed:
 *
 * - read models: every document keyed by the customer or one of their orders, in the views of every
 *   read-model target (rebuilt generations and replay targets included, and the root collections read models
 *   were kept in before `readModels/{target}/views`), has their values replaced by `[erased]`;
 * - snapshots of their streams, and dead letters of their events, the same way;
 * - idempotency records of their commands (whose request hash covers their data): deleted;
 * - events written in clear text before encryption existed: their personal fields are overwritten with
 *   `[erased]`, what a reader of a sealed event sees once its key is gone (see docs/privacy.md for why this
 *   one exception to immutable events is right), and, only then, outbox records that still carry them.
 *
 * Which values to look for is learnt from the customer's events, opened while the key still exists, and kept
 * in memory only. Everything is purged before the key is destroyed (so a run that dies midway can be run
 * again and still knows the values) and read models and snapshots once more after it, for writes that raced
 * the first pass.
 */
import { FieldPath, Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import type { EventRegistry } from '../core/eventRegistry.ts';
import { ERASED, isSealedValue, type ErasureReport, type PersonalDataEraser, type PersonalDataProtection } from '../core/personalData.ts';
import { customerStreamId } from '../customers/customerEvents.ts';
import { envelopeFromDocument } from '../firestore/eventDocument.ts';
import { EVENTS } from '../firestore/firestoreEventStore.ts';
import { READ_MODELS, VIEWS } from '../firestore/readModelLayout.ts';
import type { Logger } from '../logger.ts';
import { orderStreamId } from '../orders/orderEvents.ts';
import type { FirestoreDataKeyRing } from './firestoreDataKeyRing.ts';
import { redact, redactBase64Json } from './redact.ts';

/**
 * Where outbox records were kept before each event document became its own outbox entry (the event, redacted
 * above, is then the only copy). Records written before that change may still be there until their TTL
 * deletes them, so they are still looked through.
 */
const LEGACY_OUTBOX = 'outbox';

/**
 * Root collections that are not read models (each is purged in its own way, or holds nothing personal). Any
 * other is a read-model target kept at the root before targets moved under `readModels`, which an upgraded
 * project may still hold until it deletes them (docs/deploy.md).
 */
const NOT_READ_MODELS: ReadonlySet<string> = new Set([
  READ_MODELS,
  'streams',
  LEGACY_OUTBOX,
  'idempotencyKeys',
  'snapshots',
  'deadLetters',
  'projections',
  'dataKeys',
]);

const PAGE = 300;

export interface FirestoreCustomerErasureOptions {
  readonly db: Firestore;
  readonly keyRing: Pick<FirestoreDataKeyRing, 'destroy'>;
  readonly protection: PersonalDataProtection;
  readonly registry: EventRegistry;
  readonly logger: Logger;
}

interface Found {
  /** The customer's personal values as they appear in clear anywhere. */
  readonly personal: Set<string>;
  readonly orderIds: string[];
  /** Event documents still holding clear-text personal fields (written before encryption). */
  readonly clearText: Array<{ ref: DocumentReference; fields: string[] }>;
}

export class FirestoreCustomerErasure implements PersonalDataEraser {
  constructor(private readonly options: FirestoreCustomerErasureOptions) {}

  async eraseCustomer(customerId: string): Promise<ErasureReport> {
    const { keyRing, logger } = this.options;
    const log = logger.child({ customerId });
    const found = await this.find(customerId);
    const streams = [customerStreamId(customerId), ...found.orderIds.map(orderStreamId)];
    const viewIds = [customerId, ...found.orderIds];
    log.info({ orders: found.orderIds.length, clearTextEvents: found.clearText.length }, 'forgetting a customer: purging copies');

    const clearTextEventsRedacted = await this.redactClearTextEvents(found.clearText);
    let readModelDocumentsRedacted = await this.redactReadModels(viewIds, found.personal);
    let snapshotsRedacted = await this.redactDocuments(
      streams.map((s) => this.db.collection('snapshots').doc(s)),
      found.personal,
    );
    const deadLettersRedacted = await this.redactDeadLetters(customerId, found.personal);
    const idempotencyRecordsDeleted = await this.deleteIdempotencyRecords(customerId);
    // Legacy outbox records held the same sealed events as the store; only clear-text ones need looking for.
    const outboxRecordsRedacted = found.clearText.length > 0 ? await this.redactOutbox(found.personal) : 0;

    await keyRing.destroy(customerId);
    log.info('forgetting a customer: data key destroyed');
    // Once more, for a projector or command that wrote with the key still in its cache meanwhile.
    readModelDocumentsRedacted += await this.redactReadModels(viewIds, found.personal);
    snapshotsRedacted += await this.redactDocuments(
      streams.map((s) => this.db.collection('snapshots').doc(s)),
      found.personal,
    );

    const report = {
      customerId,
      clearTextEventsRedacted,
      readModelDocumentsRedacted,
      snapshotsRedacted,
      deadLettersRedacted,
      idempotencyRecordsDeleted,
      outboxRecordsRedacted,
    };
    log.info(report, 'customer forgotten');
    return report;
  }

  private get db(): Firestore {
    return this.options.db;
  }

  /** The customer's events (their own stream and every order's), by the collection-group index on `data.customerId`. */
  private async find(customerId: string): Promise<Found> {
    const { protection, registry } = this.options;
    const snapshot = await this.db.collectionGroup(EVENTS).where('data.customerId', '==', customerId).orderBy('recordedAt').get();
    const personal = new Set<string>();
    const orderIds = new Set<string>();
    const clearText: Found['clearText'] = [];
    for (const doc of snapshot.docs) {
      const stored = envelopeFromDocument(doc.data());
      const data = stored.data as Record<string, unknown>;
      if (typeof data.orderId === 'string') orderIds.add(data.orderId);
      const declaration = registry.personalDataOf(stored.type);
      if (!declaration) continue;
      const opened = (await protection.openEvent(stored)).data as Record<string, unknown>;
      const clearFields: string[] = [];
      for (const field of declaration.fields) {
        const value = opened[field];
        if (typeof value === 'string' && value !== ERASED) personal.add(value);
        if (typeof data[field] === 'string' && data[field] !== ERASED && !isSealedValue(data[field])) clearFields.push(field);
      }
      if (clearFields.length > 0) clearText.push({ ref: doc.ref, fields: clearFields });
    }
    return { personal, orderIds: [...orderIds], clearText };
  }

  private async redactClearTextEvents(events: Found['clearText']): Promise<number> {
    for (let i = 0; i < events.length; i += PAGE) {
      const batch = this.db.batch();
      for (const { ref, fields } of events.slice(i, i + PAGE)) {
        const erased = fields.flatMap((field) => [new FieldPath('data', field), ERASED]);
        batch.update(ref, new FieldPath('redactedAt'), Timestamp.now(), ...erased);
      }
      await batch.commit();
    }
    return events.length;
  }

  /** Documents keyed by the customer or their orders, in every collection that may be a read model. */
  private async redactReadModels(viewIds: readonly string[], personal: ReadonlySet<string>): Promise<number> {
    const targets = await this.db.collection(READ_MODELS).listDocuments();
    const legacyTargets = (await this.db.listCollections()).filter((c) => !NOT_READ_MODELS.has(c.id));
    const collections = [...targets.map((target) => target.collection(VIEWS)), ...legacyTargets];
    let redacted = 0;
    for (const collection of collections) {
      redacted += await this.redactDocuments(
        viewIds.map((id) => collection.doc(id)),
        personal,
      );
    }
    return redacted;
  }

  /** Each document in its own transaction, so a projector writing it meanwhile is neither lost nor left unredacted. */
  private async redactDocuments(refs: readonly DocumentReference[], personal: ReadonlySet<string>): Promise<number> {
    if (personal.size === 0 || refs.length === 0) return 0;
    const existing = (await this.db.getAll(...refs)).filter((s) => s.exists).map((s) => s.ref);
    let redacted = 0;
    for (const ref of existing) {
      const changed = await this.db.runTransaction(async (tx) => {
        const snapshot = await tx.get(ref);
        if (!snapshot.exists) return false;
        const { value, replaced } = redact(snapshot.data(), personal);
        if (replaced > 0) tx.set(ref, value as object);
        return replaced > 0;
      });
      if (changed) redacted++;
    }
    return redacted;
  }

  private async redactDeadLetters(customerId: string, personal: ReadonlySet<string>): Promise<number> {
    if (personal.size === 0) return 0;
    const snapshot = await this.db.collection('deadLetters').where('event.data.customerId', '==', customerId).get();
    let redacted = 0;
    for (const doc of snapshot.docs) {
      const event = redact(doc.get('event') as unknown, personal);
      const data = redactBase64Json(doc.get('data') as string, personal);
      if (event.replaced + data.replaced === 0) continue;
      await doc.ref.update({ event: event.value, data: data.value, redactedAt: Timestamp.now() });
      redacted++;
    }
    return redacted;
  }

  /** Records of commands that carried the customer's data (`subjects`, written since encryption); older ones expire within a day. */
  private async deleteIdempotencyRecords(customerId: string): Promise<number> {
    const snapshot = await this.db.collection('idempotencyKeys').where('subjects', 'array-contains', customerId).get();
    for (let i = 0; i < snapshot.docs.length; i += PAGE) {
      const batch = this.db.batch();
      for (const doc of snapshot.docs.slice(i, i + PAGE)) batch.delete(doc.ref);
      await batch.commit();
    }
    return snapshot.size;
  }

  /**
   * Outbox records cannot be queried by customer (their events are an array), so they are scanned, page by
   * page: only for customers with clear-text events, and published records expire after 7 days anyway.
   */
  private async redactOutbox(personal: ReadonlySet<string>): Promise<number> {
    let redacted = 0;
    let after: string | null = null;
    for (;;) {
      let query = this.db.collection(LEGACY_OUTBOX).orderBy(FieldPath.documentId()).limit(PAGE);
      if (after) query = query.startAfter(after);
      const page = await query.get();
      if (page.empty) return redacted;
      redacted += await this.redactDocuments(
        page.docs.filter((d) => redact(d.get('events') as unknown, personal).replaced > 0).map((d) => d.ref),
        personal,
      );
      after = page.docs.at(-1)!.id;
    }
  }
}
