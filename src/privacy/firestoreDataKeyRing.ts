/**
 * Customers' data keys in Firestore, `dataKeys/{customerId}`, each wrapped by the key-encryption key
 * (Cloud KMS in production) and unwrapped keys cached briefly in memory, so loading a customer or applying
 * their events costs no KMS call and no extra read most of the time.
 *
 * Destroying a key leaves a tombstone (`erased: true`, no key material) rather than deleting the document:
 * a command still sealing for that customer then stores `[erased]` instead of quietly creating a new key that
 * would make their later data readable again. Until its cache entry expires (`cacheTtlMs`), another process
 * that had the key cached can still open the customer's values; the process that destroys it evicts it at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { LRUCache } from 'lru-cache';
import type { DataKey, DataKeyRing } from '../core/personalData.ts';
import type { KeyEncryptionKey } from './keyEncryptionKeys.ts';

export const DATA_KEYS = 'dataKeys';

/** gRPC status ALREADY_EXISTS: another process created the key first. */
const ALREADY_EXISTS = 6;

type Entry = { readonly state: 'key'; readonly key: DataKey } | { readonly state: 'erased' } | { readonly state: 'absent' };

export interface FirestoreDataKeyRingOptions {
  /** How long an unwrapped key (or the fact that it is erased) stays in memory. Default 30 s. */
  readonly cacheTtlMs?: number;
  /** How many customers' keys one process keeps at most. Default 10,000 (about 1 MB). */
  readonly cacheMax?: number;
}

export class FirestoreDataKeyRing implements DataKeyRing {
  private readonly cache: LRUCache<string, Entry>;

  constructor(
    private readonly db: Firestore,
    private readonly kek: KeyEncryptionKey,
    options: FirestoreDataKeyRingOptions = {},
  ) {
    this.cache = new LRUCache<string, Entry>({
      max: options.cacheMax ?? 10_000,
      ttl: options.cacheTtlMs ?? 30_000,
      // One read (and one KMS call) per customer however many events ask for the key at once.
      fetchMethod: (subject) => this.read(subject),
    });
  }

  async keyForSealing(subject: string): Promise<DataKey | null> {
    const entry = await this.entry(subject);
    if (entry.state === 'key') return entry.key;
    if (entry.state === 'erased') return null;
    const created = await this.create(subject);
    this.cache.set(subject, created);
    return created.state === 'key' ? created.key : null;
  }

  async keyForOpening(subject: string, keyId: string): Promise<DataKey | null> {
    let entry = await this.entry(subject);
    // A key another process created after this one looked: read again rather than call the value erased.
    if (entry.state === 'absent' || (entry.state === 'key' && entry.key.keyId !== keyId)) {
      entry = await this.read(subject);
      this.cache.set(subject, entry);
    }
    return entry.state === 'key' && entry.key.keyId === keyId ? entry.key : null;
  }

  /** Destroys the subject's key: every value sealed with it reads `[erased]` from now on. Idempotent. */
  async destroy(subject: string): Promise<void> {
    await this.db.collection(DATA_KEYS).doc(subject).set({ subject, erased: true, erasedAt: Timestamp.now() });
    this.cache.set(subject, { state: 'erased' });
  }

  private async entry(subject: string): Promise<Entry> {
    return (await this.cache.fetch(subject)) ?? this.read(subject);
  }

  private async read(subject: string): Promise<Entry> {
    const snapshot = await this.db.collection(DATA_KEYS).doc(subject).get();
    if (!snapshot.exists) return { state: 'absent' };
    if (snapshot.get('erased') === true) return { state: 'erased' };
    const wrapped = snapshot.get('wrappedKey') as Buffer | Uint8Array;
    const material = await this.kek.unwrap(Buffer.from(wrapped), subject);
    return { state: 'key', key: { subject, keyId: snapshot.get('keyId') as string, material } };
  }

  private async create(subject: string): Promise<Entry> {
    const material = randomBytes(32);
    const keyId = randomUUID();
    try {
      await this.db
        .collection(DATA_KEYS)
        .doc(subject)
        .create({
          subject,
          keyId,
          algorithm: 'AES-256-GCM',
          wrappedKey: await this.kek.wrap(material, subject),
          wrappedBy: this.kek.name,
          createdAt: Timestamp.now(),
        });
      return { state: 'key', key: { subject, keyId, material } };
    } catch (error) {
      if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
      return this.read(subject);
    }
  }
}
