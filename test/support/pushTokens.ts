/**
 * A stand-in for Google's token service: a locally generated RSA key pair whose public key is the only
 * certificate the push authenticator knows, and tokens signed with it in the shape Pub/Sub sends
 * (RS256, a `kid`, iss/aud/email/email_verified/iat/exp). Tokens are signed by jose, a JWT library, not
 * assembled by hand; verifying them is left to the code under test.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { PushCertificates } from '../../src/pubsub/pushAuthentication.ts';

export const PUSHER = 'eventloom-pusher@acme-shop.iam.gserviceaccount.com';

export interface PushClaims {
  readonly aud: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly iss?: string;
  /** Seconds from now. */
  readonly issuedIn?: number;
  readonly expiresIn?: number;
}

export interface TokenIssuer {
  /** The certificates to give the authenticator: this issuer's public key under its key id. */
  readonly certificates: PushCertificates;
  sign(claims: PushClaims): Promise<string>;
}

export function tokenIssuer(kid = 'test-key'): TokenIssuer {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    certificates: async () => ({ [kid]: pem }),
    sign: (claims) => signPushToken(privateKey, kid, claims),
  };
}

/** A token by default the way Pub/Sub signs one for PUSHER: issued now, valid for an hour. */
async function signPushToken(key: KeyObject, kid: string, claims: PushClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: claims.email ?? PUSHER, email_verified: claims.email_verified ?? true })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? 'https://accounts.google.com')
    .setAudience(claims.aud)
    .setSubject('113774264463038321964')
    .setIssuedAt(now + (claims.issuedIn ?? 0))
    .setExpirationTime(now + (claims.expiresIn ?? 3600))
    .sign(key);
}
