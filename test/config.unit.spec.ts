import { describe, expect, it } from 'vitest';
import { assertProjectReachable, loadConfig } from '../src/config.ts';

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
});
