import { describe, expect, it } from 'vitest';
import { assertProjectReachable, loadConfig } from '../src/config.ts';
import { keyEncryptionKeyFromConfig } from '../src/privacy/personalDataFromConfig.ts';

describe('configuration', () => {
  it('refuses the emulator-only demo project when no emulator is there, instead of going to Google Cloud under that name', () => {
    expect(() => assertProjectReachable(loadConfig({}))).toThrow(/demo-eventloom is an emulator-only project.*FIRESTORE_EMULATOR_HOST/);
    expect(assertProjectReachable(loadConfig({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' })).projectId).toBe('demo-eventloom');
    expect(assertProjectReachable(loadConfig({ GOOGLE_CLOUD_PROJECT: 'acme-shop' })).projectId).toBe('acme-shop');
  });

  it('refuses the Auth emulator in production, where it would accept unsigned tokens', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', GOOGLE_CLOUD_PROJECT: 'acme-shop', FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099' }),
    ).toThrow(/FIREBASE_AUTH_EMULATOR_HOST is set in production/);
  });

  it("wraps customers' data keys with Cloud KMS in production, and a local key only with the emulators", () => {
    const kms = 'projects/acme-shop/locations/europe-west1/keyRings/eventloom/cryptoKeys/customer-data';
    expect(loadConfig({ NODE_ENV: 'production', GOOGLE_CLOUD_PROJECT: 'acme-shop', KMS_KEY_NAME: kms }).personalData.kek).toEqual({
      kind: 'kms',
      keyName: kms,
    });
    const local = Buffer.alloc(32, 1).toString('base64');
    const production = loadConfig({ NODE_ENV: 'production', GOOGLE_CLOUD_PROJECT: 'acme-shop', LOCAL_DATA_KEK: local });
    expect(production.personalData.kek).toMatchObject({
      kind: 'missing',
      why: expect.stringMatching(/KMS_KEY_NAME is not set in production/),
    });
    expect(() => keyEncryptionKeyFromConfig(production)).toThrow(/KMS_KEY_NAME is not set in production/);
    expect(loadConfig({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' }).personalData.kek).toMatchObject({
      kind: 'local',
      name: 'development',
    });
    expect(loadConfig({ LOCAL_DATA_KEK: local }).personalData.kek).toMatchObject({ kind: 'local', name: 'configured' });
    expect(() => loadConfig({ LOCAL_DATA_KEK: 'too-short' })).toThrow(/LOCAL_DATA_KEK/);
    expect(() => loadConfig({ KMS_KEY_NAME: 'my-key' })).toThrow(/KMS_KEY_NAME/);
  });

  it('has the outbox relay listen on Firestore and poll on the emulator, and refuses polling without the emulator', () => {
    const emulator = { FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' };
    expect(loadConfig({ GOOGLE_CLOUD_PROJECT: 'acme-shop' }).outboxDiscovery).toEqual({ mode: 'listen' });
    expect(loadConfig(emulator).outboxDiscovery).toEqual({ mode: 'poll', intervalMs: 500 });
    expect(loadConfig({ ...emulator, OUTBOX_POLL_MS: '50' }).outboxDiscovery).toEqual({ mode: 'poll', intervalMs: 50 });
    expect(loadConfig({ ...emulator, OUTBOX_DISCOVERY: 'listen' }).outboxDiscovery).toEqual({ mode: 'listen' });
    expect(() => loadConfig({ GOOGLE_CLOUD_PROJECT: 'acme-shop', OUTBOX_DISCOVERY: 'poll' })).toThrow(
      /OUTBOX_DISCOVERY=poll is for the Firestore emulator/,
    );
    expect(() => loadConfig({ ...emulator, OUTBOX_DISCOVERY: 'sometimes' })).toThrow(/OUTBOX_DISCOVERY/);
  });

  it('has a listening relay run its catch-up query every minute as a safety net, or every OUTBOX_CATCH_UP_MS (0: never)', () => {
    const firestore = { GOOGLE_CLOUD_PROJECT: 'acme-shop' };
    expect(loadConfig(firestore).outboxCatchUpMs).toBe(60_000);
    expect(loadConfig({ ...firestore, OUTBOX_CATCH_UP_MS: '15000' }).outboxCatchUpMs).toBe(15_000);
    expect(loadConfig({ ...firestore, OUTBOX_CATCH_UP_MS: '0' }).outboxCatchUpMs).toBeNull();
    expect(() => loadConfig({ ...firestore, OUTBOX_CATCH_UP_MS: '50' })).toThrow(/OUTBOX_CATCH_UP_MS/);
    expect(() => loadConfig({ ...firestore, OUTBOX_CATCH_UP_MS: 'hourly' })).toThrow(/OUTBOX_CATCH_UP_MS/);
  });

  it('has the live sales dashboard follow every contribution, or its shards alone with LIVE_ROLLED_UP_VIEWS=shards', () => {
    const firestore = { GOOGLE_CLOUD_PROJECT: 'acme-shop' };
    expect(loadConfig(firestore).rolledUpLive).toBe('parts');
    expect(loadConfig({ ...firestore, LIVE_ROLLED_UP_VIEWS: 'shards' }).rolledUpLive).toBe('shards');
    expect(() => loadConfig({ ...firestore, LIVE_ROLLED_UP_VIEWS: 'folds' })).toThrow(/LIVE_ROLLED_UP_VIEWS/);
  });
});
