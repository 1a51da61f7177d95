/**
 * The crypto of crypto-shredding, in memory: personal fields are sealed with the subject's key and open to
 * clear text; a changed byte, a value moved to another event or field, or another key is refused as
 * tampering; a destroyed key reads `[erased]`; events written before encryption read as they were.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/core/eventStore.ts';
import {
  ERASED,
  isSealedValue,
  PersonalDataProtection,
  PersonalDataTamperedError,
  type DataKey,
  type DataKeyRing,
  type SealedValue,
} from '../../src/core/personalData.ts';
import { DataKeyUnwrapError, LocalKeyEncryptionKey } from '../../src/privacy/keyEncryptionKeys.ts';
import { redact, redactBase64Json } from '../../src/privacy/redact.ts';
import { shopEvents } from '../../src/shopEvents.ts';

/** Keys in a map; `destroy` is what forgetting does to the real ring. */
class MemoryKeyRing implements DataKeyRing {
  readonly keys = new Map<string, DataKey | 'erased'>();
  async keyForSealing(subject: string): Promise<DataKey | null> {
    const key = this.keys.get(subject);
    if (key === 'erased') return null;
    if (key) return key;
    const created = { subject, keyId: `${subject}-key`, material: randomBytes(32) };
    this.keys.set(subject, created);
    return created;
  }
  async keyForOpening(subject: string, keyId: string): Promise<DataKey | null> {
    const key = this.keys.get(subject);
    return key && key !== 'erased' && key.keyId === keyId ? key : null;
  }
  destroy(subject: string): void {
    this.keys.set(subject, 'erased');
  }
}

const registered = (eventId: string, name = 'Ada Lovelace', email = 'ada@example.com') => ({
  eventId,
  type: 'CustomerRegistered',
  data: { customerId: 'ada', name, email },
  occurredAt: '2026-12-01T10:00:00.000Z',
  metadata: { correlationId: 'c', causationId: null },
});

function stored(event: ReturnType<typeof registered>, version = 1): EventEnvelope {
  return { ...event, streamId: 'customer-ada', version, schemaVersion: 1 };
}

async function sealOne(protection: PersonalDataProtection, event = registered('e1')): Promise<EventEnvelope> {
  const [append] = await protection.seal([{ streamId: 'customer-ada', expectedVersion: 0, events: [event] }]);
  return stored(append!.events[0] as ReturnType<typeof registered>);
}

describe('sealing personal fields', () => {
  it('stores the declared fields sealed, self-describing, and opens them back to clear text', async () => {
    const protection = new PersonalDataProtection(shopEvents, new MemoryKeyRing());
    const event = await sealOne(protection);
    const data = event.data as Record<string, unknown>;
    expect(data.customerId).toBe('ada');
    expect(isSealedValue(data.name)).toBe(true);
    expect(data.name).toMatchObject({ sealed: 'AES-256-GCM', subject: 'ada', keyId: 'ada-key' });
    expect(JSON.stringify(event)).not.toContain('Ada Lovelace');
    expect(JSON.stringify(event)).not.toContain('ada@example.com');
    const opened = await protection.open([event]);
    expect(opened[0]!.data).toEqual({ customerId: 'ada', name: 'Ada Lovelace', email: 'ada@example.com' });
    // What is opened validates against the unchanged schema.
    expect(shopEvents.upcast(opened[0]!).data).toEqual(opened[0]!.data);
  });

  it('uses a fresh iv for every value: the same name sealed twice gives two ciphertexts', async () => {
    const protection = new PersonalDataProtection(shopEvents, new MemoryKeyRing());
    const a = (await sealOne(protection, registered('e1'))).data as Record<string, SealedValue>;
    const b = (await sealOne(protection, registered('e2'))).data as Record<string, SealedValue>;
    expect(a.name!.ciphertext).not.toBe(b.name!.ciphertext);
    expect(a.name!.iv).not.toBe(b.name!.iv);
  });

  it('seals the payment reference of OrderPaymentConfirmed and leaves events without personal data alone', async () => {
    const protection = new PersonalDataProtection(shopEvents, new MemoryKeyRing());
    const paid = {
      eventId: 'p1',
      type: 'OrderPaymentConfirmed',
      data: { orderId: 'o1', customerId: 'ada', paymentReference: 'PAY-123', amountCents: 100, placedAt: 't', paidAt: 't' },
      occurredAt: 't',
      metadata: { correlationId: 'c', causationId: null },
    };
    const shipped = { ...paid, eventId: 's1', type: 'OrderShipped', data: { orderId: 'o1', customerId: 'ada' } };
    const [append] = await protection.seal([{ streamId: 'order-o1', expectedVersion: 1, events: [paid, shipped] }]);
    expect(isSealedValue((append!.events[0]!.data as Record<string, unknown>).paymentReference)).toBe(true);
    expect(append!.events[1]).toBe(shipped);
    expect(protection.subjectsOf([paid, shipped])).toEqual(['ada']);
  });
});

describe('tamper detection', () => {
  it('refuses a changed ciphertext byte', async () => {
    const protection = new PersonalDataProtection(shopEvents, new MemoryKeyRing());
    const event = await sealOne(protection);
    const name = (event.data as Record<string, SealedValue>).name!;
    const bytes = Buffer.from(name.ciphertext, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    const tampered = { ...event, data: { ...event.data, name: { ...name, ciphertext: bytes.toString('base64') } } };
    await expect(protection.open([tampered])).rejects.toBeInstanceOf(PersonalDataTamperedError);
  });

  it('refuses a changed authentication tag', async () => {
    const protection = new PersonalDataProtection(shopEvents, new MemoryKeyRing());
    const event = await sealOne(protection);
    const name = (event.data as Record<string, SealedValue>).name!;
    const tampered = { ...event, data: { ...event.data, name: { ...name, tag: Buffer.alloc(16).toString('base64') } } };
    await expect(protection.open([tampered])).rejects.toMatchObject({ code: 'PRIVACY.TAMPERED', field: 'name', eventId: 'e1' });
  });

  it('refuses a sealed value moved to another field or another event', async () => {
    const protection = new PersonalDataProtection(shopEvents, new MemoryKeyRing());
    const event = await sealOne(protection);
    const { name, email } = event.data as Record<string, SealedValue>;
    const swapped = { ...event, data: { ...event.data, name: email, email: name } };
    await expect(protection.open([swapped])).rejects.toBeInstanceOf(PersonalDataTamperedError);
    const moved = { ...event, eventId: 'another-event' };
    await expect(protection.open([moved])).rejects.toBeInstanceOf(PersonalDataTamperedError);
  });

  it('refuses to open with the wrong key material under the right key id', async () => {
    const keys = new MemoryKeyRing();
    const protection = new PersonalDataProtection(shopEvents, keys);
    const event = await sealOne(protection);
    keys.keys.set('ada', { subject: 'ada', keyId: 'ada-key', material: randomBytes(32) });
    await expect(protection.open([event])).rejects.toBeInstanceOf(PersonalDataTamperedError);
  });
});

describe('an erased key', () => {
  it('reads [erased] for every sealed field, and the event still validates', async () => {
    const keys = new MemoryKeyRing();
    const protection = new PersonalDataProtection(shopEvents, keys);
    const event = await sealOne(protection);
    keys.destroy('ada');
    const [opened] = await protection.open([event]);
    expect(opened!.data).toEqual({ customerId: 'ada', name: ERASED, email: ERASED });
    expect(() => shopEvents.upcast(opened!)).not.toThrow();
  });

  it('keeps no new personal data of a forgotten subject: it is stored as [erased]', async () => {
    const keys = new MemoryKeyRing();
    keys.destroy('ada');
    const protection = new PersonalDataProtection(shopEvents, keys);
    const event = await sealOne(protection);
    expect(event.data).toEqual({ customerId: 'ada', name: ERASED, email: ERASED });
  });
});

describe('events written before encryption', () => {
  it('read as they were: clear text passes through untouched', async () => {
    const protection = new PersonalDataProtection(shopEvents, new MemoryKeyRing());
    const legacy = stored(registered('old'));
    const [opened] = await protection.open([legacy]);
    expect(opened).toBe(legacy);
  });
});

describe('the local key-encryption key', () => {
  it('wraps and unwraps a data key for its subject only, and not under another key', async () => {
    const kek = new LocalKeyEncryptionKey(randomBytes(32));
    const dataKey = randomBytes(32);
    const wrapped = await kek.wrap(dataKey, 'ada');
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(await kek.unwrap(wrapped, 'ada')).toEqual(dataKey);
    await expect(kek.unwrap(wrapped, 'bob')).rejects.toBeInstanceOf(DataKeyUnwrapError);
    await expect(new LocalKeyEncryptionKey(randomBytes(32)).unwrap(wrapped, 'ada')).rejects.toBeInstanceOf(DataKeyUnwrapError);
  });
});

describe('redaction of unsealed copies', () => {
  it('replaces strings equal to a personal value at any depth, and nothing else', () => {
    const personal = new Set(['Ada Lovelace', 'ada@example.com']);
    const when = new Date(0);
    const doc = { name: 'Ada Lovelace', note: 'Ada Lovelace ordered', nested: { list: ['ada@example.com', 'kettle'] }, when };
    const { value, replaced } = redact(doc, personal);
    expect(replaced).toBe(2);
    expect(value).toEqual({ name: ERASED, note: 'Ada Lovelace ordered', nested: { list: [ERASED, 'kettle'] }, when });
    expect(value.when).toBe(when);
    expect(redact({ other: 'x' }, personal)).toEqual({ value: { other: 'x' }, replaced: 0 });
  });

  it('redacts a base64 JSON message body', () => {
    const data = Buffer.from(JSON.stringify({ data: { name: 'Ada Lovelace' } })).toString('base64');
    const { value, replaced } = redactBase64Json(data, new Set(['Ada Lovelace']));
    expect(replaced).toBe(1);
    expect(JSON.parse(Buffer.from(value, 'base64').toString())).toEqual({ data: { name: ERASED } });
  });
});
