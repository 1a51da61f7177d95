import { describe, expect, it } from 'vitest';
import { loadPushAuthConfig } from '../src/config.ts';

const EMULATOR = { PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' };
const PUSHER = 'eventloom-pusher@acme-shop.iam.gserviceaccount.com';

describe('push authentication settings', () => {
  it('is off by default with the emulators, whose pushes carry no token, and says why', () => {
    expect(loadPushAuthConfig({ ...EMULATOR })).toEqual({ mode: 'off', why: 'the Pub/Sub emulator pushes without tokens' });
    expect(loadPushAuthConfig({ ...EMULATOR, PUSH_AUTH: 'off' })).toEqual({ mode: 'off', why: 'PUSH_AUTH=off' });
  });

  it('is required by default outside the emulators, against the push service account and, unless configured, the function URL', () => {
    expect(loadPushAuthConfig({ PUSH_SERVICE_ACCOUNT: PUSHER })).toEqual({ mode: 'required', serviceAccount: PUSHER, audience: null });
    expect(
      loadPushAuthConfig({ PUSH_SERVICE_ACCOUNT: PUSHER, PUSH_AUDIENCE: 'https://events.acme.example/projectInventoryCount' }),
    ).toEqual({
      mode: 'required',
      serviceAccount: PUSHER,
      audience: 'https://events.acme.example/projectInventoryCount',
    });
  });

  it('can be required with the emulators too', () => {
    expect(loadPushAuthConfig({ ...EMULATOR, PUSH_AUTH: 'required', PUSH_SERVICE_ACCOUNT: PUSHER })).toMatchObject({ mode: 'required' });
  });

  it('refuses off outside the emulators: without an emulator host, or in production even with one', () => {
    for (const env of [
      { PUSH_AUTH: 'off' },
      { PUSH_AUTH: 'off', NODE_ENV: 'production' },
      { ...EMULATOR, PUSH_AUTH: 'off', NODE_ENV: 'production' },
    ]) {
      expect(() => loadPushAuthConfig(env)).toThrowError(
        expect.objectContaining({
          code: 'CONFIG.PUSH_AUTH',
          message: expect.stringMatching(/^PUSH_AUTH=off is refused outside the emulators/),
        }),
      );
    }
  });

  it('is required in production even with an emulator host, and then refuses to start without an account to check', () => {
    expect(() => loadPushAuthConfig({ ...EMULATOR, NODE_ENV: 'production' })).toThrowError(
      expect.objectContaining({ code: 'CONFIG.PUSH_AUTH', message: expect.stringContaining('PUSH_SERVICE_ACCOUNT is not set') }),
    );
    expect(() => loadPushAuthConfig({})).toThrowError(expect.objectContaining({ code: 'CONFIG.PUSH_AUTH' }));
  });

  it('refuses values it does not know', () => {
    expect(() => loadPushAuthConfig({ ...EMULATOR, PUSH_AUTH: 'optional' })).toThrowError(
      expect.objectContaining({ code: 'CONFIG.PUSH_AUTH' }),
    );
    expect(() => loadPushAuthConfig({ PUSH_SERVICE_ACCOUNT: 'not an email' })).toThrowError(
      expect.objectContaining({ code: 'CONFIG.PUSH_AUTH' }),
    );
  });
});
