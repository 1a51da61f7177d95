/**
 * Key-encryption keys: what wraps each customer's data key before it is stored in Firestore. In production
 * a Cloud KMS key (the key material never leaves KMS, access is IAM-controlled and audited, and rotating
 * it is KMS's job); with the emulators a local AES-256 key from configuration, since there is no KMS
 * emulator. The wrapped form carries no key id: a data key document records which key wrapped it.
 *
 * The subject (customer id) is bound into every wrap as additional authenticated data, so a wrapped key
 * copied to another customer's document does not unwrap.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { EventloomError } from '../core/errors.ts';

export interface KeyEncryptionKey {
  /** Recorded with every data key it wraps: `kms:<resource name>` or `local:<name>`. */
  readonly name: string;
  wrap(dataKey: Buffer, subject: string): Promise<Buffer>;
  unwrap(wrapped: Buffer, subject: string): Promise<Buffer>;
}

/** A stored data key that its key-encryption key does not unwrap: another KEK, or a damaged document. */
export class DataKeyUnwrapError extends EventloomError {
  readonly code = 'PRIVACY.KEY_UNWRAP';
}

const aad = (subject: string) => Buffer.from(`eventloom/data-key/v1\u0000${subject}`);

/** AES-256-GCM with a key from configuration: the emulators' stand-in for Cloud KMS. */
export class LocalKeyEncryptionKey implements KeyEncryptionKey {
  readonly name: string;

  constructor(
    private readonly key: Buffer,
    name = 'emulator',
  ) {
    if (key.length !== 32) throw new Error(`A local key-encryption key has 32 bytes, not ${key.length}`);
    this.name = `local:${name}`;
  }

  async wrap(dataKey: Buffer, subject: string): Promise<Buffer> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(subject));
    const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
  }

  async unwrap(wrapped: Buffer, subject: string): Promise<Buffer> {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, 12));
      decipher.setAAD(aad(subject));
      decipher.setAuthTag(wrapped.subarray(12, 28));
      return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
    } catch (error) {
      throw new DataKeyUnwrapError(`The data key of ${subject} does not unwrap with ${this.name}`, { cause: error });
    }
  }
}

type KmsClient = Pick<KeyManagementServiceClient, 'encrypt' | 'decrypt'>;

/**
 * A Cloud KMS symmetric key (`projects/P/locations/L/keyRings/R/cryptoKeys/K`); KMS picks the version.
 *
 * Its client library (about 2 MB of JavaScript with its gRPC stubs) is loaded on the first wrap or unwrap, or by
 * `warmUp()`, not when the process starts: a new API instance answers sooner without it (src/startApi.ts).
 */
export class CloudKmsKeyEncryptionKey implements KeyEncryptionKey {
  readonly name: string;
  private client: Promise<KmsClient> | undefined;

  constructor(
    private readonly keyName: string,
    client?: KmsClient,
  ) {
    this.name = `kms:${keyName}`;
    if (client) this.client = Promise.resolve(client);
  }

  /** Loads the client library ahead of the first wrap or unwrap (a failure surfaces at that call). */
  async warmUp(): Promise<void> {
    await this.kms().catch(() => {});
  }

  async wrap(dataKey: Buffer, subject: string): Promise<Buffer> {
    const kms = await this.kms();
    const [response] = await kms.encrypt({ name: this.keyName, plaintext: dataKey, additionalAuthenticatedData: aad(subject) });
    if (!response.ciphertext) throw new Error(`Cloud KMS returned no ciphertext for ${this.keyName}`);
    return Buffer.from(response.ciphertext as Uint8Array);
  }

  async unwrap(wrapped: Buffer, subject: string): Promise<Buffer> {
    // Outside the try: a library that does not load is not a key that does not unwrap.
    const kms = await this.kms();
    try {
      const [response] = await kms.decrypt({ name: this.keyName, ciphertext: wrapped, additionalAuthenticatedData: aad(subject) });
      if (!response.plaintext) throw new Error('Cloud KMS returned no plaintext');
      return Buffer.from(response.plaintext as Uint8Array);
    } catch (error) {
      throw new DataKeyUnwrapError(`The data key of ${subject} does not unwrap with ${this.name}`, { cause: error });
    }
  }

  private kms(): Promise<KmsClient> {
    // A failed load is not kept: the next call tries again.
    this.client ??= import('@google-cloud/kms')
      .then(({ KeyManagementServiceClient }) => new KeyManagementServiceClient())
      .catch((error: unknown) => {
        this.client = undefined;
        throw error;
      });
    return this.client;
  }
}
