import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smoke } from '../scripts/deploy/smoke.ts';
import { type LiveApi, startLiveApi } from './support/liveApi.ts';

// `npm run deploy -- --smoke` against the real API (over the Firestore emulator), signing in through the Auth
// emulator as a deployed project's client would through Identity Platform.
describe('the smoke check after a deploy', () => {
  const identityToolkitUrl = `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com`;
  const email = `smoke-${randomUUID()}@eventloom.test`;
  const password = 'smoke-test-password';
  let live: LiveApi;
  let serviceUrl: string;

  beforeAll(async () => {
    live = await startLiveApi();
    serviceUrl = new URL(live.httpUrl).origin;
    const signUp = await fetch(`${identityToolkitUrl}/v1/accounts:signUp?key=demo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    });
    expect(signUp.ok).toBe(true);
  });
  afterAll(() => live?.stop());

  it('passes a public query and a signed-in one, and reports the service URL', async () => {
    const result = await smoke({ serviceUrl, identityToolkitUrl, signIn: { email, password, apiKey: 'demo' } });
    expect(result).toEqual({
      serviceUrl,
      checks: [
        { name: 'public query (products)', ok: true, detail: 'HTTP 200' },
        { name: `signed-in query (customerOrders as ${email})`, ok: true, detail: 'HTTP 200' },
      ],
    });
  });

  it('fails, saying why, when the sign-in is refused or the URL is not the API', async () => {
    const wrongPassword = await smoke({ serviceUrl, identityToolkitUrl, signIn: { email, password: 'not-it', apiKey: 'demo' } });
    expect(wrongPassword.checks[1]).toMatchObject({
      name: `sign in as ${email}`,
      ok: false,
      detail: expect.stringMatching(/INVALID_PASSWORD|INVALID_LOGIN_CREDENTIALS/),
    });

    const notTheApi = await smoke({ serviceUrl: identityToolkitUrl.replace(/\/identitytoolkit.*/, '/nothing-here/') });
    expect(notTheApi.checks).toEqual([{ name: 'public query (products)', ok: false, detail: expect.stringMatching(/^HTTP [45]\d\d/) }]);
  });
});
