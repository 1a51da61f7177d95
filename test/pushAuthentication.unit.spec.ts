/**
 * The push authenticator on real RS256 tokens, signed by a local key pair standing in for Google's:
 * what counts as no genuine token (401), what counts as a genuine token for someone else (403).
 */
import { describe, expect, it } from 'vitest';
import { GooglePushAuthenticator, PushForbiddenError, PushUnauthenticatedError } from '../src/pubsub/pushAuthentication.ts';
import { PUSHER, tokenIssuer } from './support/pushTokens.ts';

const ENDPOINT = 'https://projectinventorycount-x7k2-ew.a.run.app/';
const google = tokenIssuer();
const authenticator = new GooglePushAuthenticator({ serviceAccount: PUSHER, audience: null, certificates: google.certificates });

const bearer = (token: string) => `Bearer ${token}`;
const unauthenticated = (reason: RegExp) =>
  expect.objectContaining({ constructor: PushUnauthenticatedError, message: expect.stringMatching(reason) });
const forbidden = (reason: RegExp) => expect.objectContaining({ constructor: PushForbiddenError, message: expect.stringMatching(reason) });

describe('GooglePushAuthenticator', () => {
  it("accepts the push service account's token for the endpoint it was sent to, with or without the trailing slash", async () => {
    await expect(authenticator.authenticate(bearer(await google.sign({ aud: ENDPOINT })), ENDPOINT)).resolves.toBeUndefined();
    await expect(authenticator.authenticate(bearer(await google.sign({ aud: ENDPOINT.slice(0, -1) })), ENDPOINT)).resolves.toBeUndefined();
    await expect(authenticator.authenticate(`bearer ${await google.sign({ aud: ENDPOINT })}`, ENDPOINT)).resolves.toBeUndefined();
  });

  it('accepts both spellings of Google as issuer, and no other', async () => {
    await expect(
      authenticator.authenticate(bearer(await google.sign({ aud: ENDPOINT, iss: 'accounts.google.com' })), ENDPOINT),
    ).resolves.toBeUndefined();
    await expect(
      authenticator.authenticate(bearer(await google.sign({ aud: ENDPOINT, iss: 'https://evil.example' })), ENDPOINT),
    ).rejects.toEqual(unauthenticated(/Invalid issuer/));
  });

  it('wants a bearer token', async () => {
    await expect(authenticator.authenticate(undefined, ENDPOINT)).rejects.toEqual(unauthenticated(/^No Authorization header$/));
    await expect(authenticator.authenticate('Basic dXNlcjpwYXNz', ENDPOINT)).rejects.toEqual(unauthenticated(/not a bearer token/));
  });

  it('refuses what is not a genuine token: garbage, an unknown key, expired, not yet valid', async () => {
    const elsewhere = tokenIssuer('test-key'); // same key id, another key
    const stranger = tokenIssuer('other-key');
    const cases = [
      ['garbage', /Wrong number of segments/],
      ['a.b.c', /Can't parse token envelope/],
      [await elsewhere.sign({ aud: ENDPOINT }), /Invalid token signature/],
      [await stranger.sign({ aud: ENDPOINT }), /No pem found/],
      // The library allows five minutes of clock skew.
      [await google.sign({ aud: ENDPOINT, issuedIn: -7200, expiresIn: -600 }), /Token used too late/],
      [await google.sign({ aud: ENDPOINT, issuedIn: 900, expiresIn: 4500 }), /Token used too early/],
    ] as const;
    for (const [token, reason] of cases) {
      await expect(authenticator.authenticate(bearer(token), ENDPOINT)).rejects.toEqual(unauthenticated(reason));
    }
  });

  it('refuses a genuine token meant for another endpoint or of another account', async () => {
    await expect(authenticator.authenticate(bearer(await google.sign({ aud: 'https://other-fn.a.run.app/' })), ENDPOINT)).rejects.toEqual(
      forbidden(/audience https:\/\/other-fn\.a\.run\.app\/, not https:\/\/projectinventorycount/),
    );
    await expect(
      authenticator.authenticate(
        bearer(await google.sign({ aud: ENDPOINT, email: 'someone@acme-shop.iam.gserviceaccount.com' })),
        ENDPOINT,
      ),
    ).rejects.toEqual(forbidden(/of someone@acme-shop\.iam\.gserviceaccount\.com, not of the push service account/));
    await expect(authenticator.authenticate(bearer(await google.sign({ aud: ENDPOINT, email_verified: false })), ENDPOINT)).rejects.toEqual(
      forbidden(/not verified/),
    );
  });

  it('expects the configured audience, when there is one, instead of the URL the push arrived at', async () => {
    const audience = 'https://events.acme.example/projectInventoryCount';
    const behindDomain = new GooglePushAuthenticator({ serviceAccount: PUSHER, audience, certificates: google.certificates });
    await expect(behindDomain.authenticate(bearer(await google.sign({ aud: audience })), ENDPOINT)).resolves.toBeUndefined();
    await expect(behindDomain.authenticate(bearer(await google.sign({ aud: ENDPOINT })), ENDPOINT)).rejects.toEqual(
      forbidden(/not https:\/\/events/),
    );
  });

  it('never puts the token in a reason', async () => {
    const tokens = [await tokenIssuer().sign({ aud: ENDPOINT }), `${await google.sign({ aud: ENDPOINT })}x`, 'garbage-token'];
    for (const token of tokens) {
      const error = await authenticator.authenticate(bearer(token), ENDPOINT).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PushUnauthenticatedError);
      expect((error as Error).message).not.toContain(token);
      for (const segment of token.split('.')) expect((error as Error).message).not.toContain(segment);
    }
  });

  it('fails as itself, not as a refusal, when the certificates cannot be had (a 500 and a redelivery, not a 401)', async () => {
    const offline = new GooglePushAuthenticator({
      serviceAccount: PUSHER,
      audience: null,
      certificates: () => Promise.reject(new Error('Failed to retrieve verification certificates: ENOTFOUND')),
    });
    const error = await offline.authenticate(bearer(await google.sign({ aud: ENDPOINT })), ENDPOINT).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(PushUnauthenticatedError);
    expect(error).toMatchObject({ message: expect.stringContaining('verification certificates') });
  });
});
