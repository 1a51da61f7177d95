/**
 * Personal-data protection as a process builds it from its Config: the key-encryption key (Cloud KMS, or
 * the local key with the emulators), the Firestore key ring with its cache, and the shop's event types.
 * Refuses, at start, a configuration without a key-encryption key (production without KMS_KEY_NAME).
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Config } from '../config.ts';
import { EventloomError } from '../core/errors.ts';
import { PersonalDataProtection } from '../core/personalData.ts';
import { shopEvents } from '../shopEvents.ts';
import { FirestoreDataKeyRing } from './firestoreDataKeyRing.ts';
import { CloudKmsKeyEncryptionKey, LocalKeyEncryptionKey, type KeyEncryptionKey } from './keyEncryptionKeys.ts';

class MissingKeyEncryptionKeyError extends EventloomError {
  readonly code = 'CONFIG.KEY_ENCRYPTION_KEY';
}

export interface PersonalData {
  readonly protection: PersonalDataProtection;
  readonly keyRing: FirestoreDataKeyRing;
  /** Loads what the first sealing or opening would (Cloud KMS's client library), ahead of it. */
  warmUp(): Promise<void>;
}

export function keyEncryptionKeyFromConfig(config: Pick<Config, 'personalData'>): KeyEncryptionKey {
  const { kek } = config.personalData;
  switch (kek.kind) {
    case 'kms':
      return new CloudKmsKeyEncryptionKey(kek.keyName);
    case 'local':
      return new LocalKeyEncryptionKey(kek.key, kek.name);
    case 'missing':
      throw new MissingKeyEncryptionKeyError(`Invalid configuration: ${kek.why}`);
  }
}

export function personalDataFromConfig(config: Pick<Config, 'personalData'>, db: Firestore): PersonalData {
  const kek = keyEncryptionKeyFromConfig(config);
  const keyRing = new FirestoreDataKeyRing(db, kek, { cacheTtlMs: config.personalData.keyCacheMs });
  return {
    protection: new PersonalDataProtection(shopEvents, keyRing),
    keyRing,
    warmUp: async () => {
      if (kek instanceof CloudKmsKeyEncryptionKey) await kek.warmUp();
    },
  };
}
