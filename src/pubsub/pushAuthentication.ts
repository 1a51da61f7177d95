/**
 * Who may push to the projector and dead-letter endpoints: Pub/Sub, which proves it with the Google-signed
 * OIDC ID token it sends as `Authorization: Bearer` when a subscription has a push service account.
 *
 * google-auth-library checks the signature, expiry and issuer; the audience and the account are checked
 * here, after it, so that a genuine token meant for something else (403) is told apart from no genuine
 * token at all (401).
 */
import { OAuth2Client, type Certificates, type TokenPayload } from 'google-auth-library';
import { EventloomError } from '../core/errors.ts';

/** The issuers of Google ID tokens. Named, since the library's default list also admits its universe domain. */
const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/** Public keys (PEM) by key id: Google's federated sign-on certificates in production, a test key pair in tests. */
export type PushCertificates = () => Promise<Certificates>;

function googleSignOnCertificates(client = new OAuth2Client()): PushCertificates {
  // The client keeps them for as long as Google's Cache-Control allows, so most pushes fetch nothing.
  return async () => (await client.getFederatedSignonCertsAsync()).certs;
}

/** No genuine token: none, not a JWT, signed by an unknown key, expired, or not issued by Google. Answered 401. */
export class PushUnauthenticatedError extends EventloomError {
  readonly code = 'PUSH.UNAUTHENTICATED';
}

/** A genuine Google token, but for another audience or of another account. Answered 403. */
export class PushForbiddenError extends EventloomError {
  readonly code = 'PUSH.FORBIDDEN';
}

export interface PushAuthenticator {
  /**
   * Resolves when `authorization` proves a push by the expected account to `endpointUrl` (the URL the
   * request was sent to); rejects with PushUnauthenticatedError or PushForbiddenError when it does not,
   * and with anything else when the check itself failed (the keys could not be fetched).
   */
  authenticate(authorization: string | undefined, endpointUrl: string): Promise<void>;
}

/** For the emulators only, whose pushes carry no token: the configuration refuses it anywhere else. */
export const acceptUnauthenticatedPushes: PushAuthenticator = {
  async authenticate() {},
};

export interface GooglePushAuthenticatorOptions {
  /** The only account whose pushes are accepted (the subscriptions' --push-auth-service-account). */
  readonly serviceAccount: string;
  /** The `aud` to expect; null: the URL the push was sent to, which Pub/Sub uses when none is configured. */
  readonly audience: string | null;
  /** Defaults to Google's. */
  readonly certificates?: PushCertificates;
}

export class GooglePushAuthenticator implements PushAuthenticator {
  private readonly client = new OAuth2Client();
  private readonly certificates: PushCertificates;

  constructor(private readonly options: GooglePushAuthenticatorOptions) {
    this.certificates = options.certificates ?? googleSignOnCertificates(this.client);
  }

  async authenticate(authorization: string | undefined, endpointUrl: string): Promise<void> {
    const token = bearerToken(authorization);
    // Outside the try: keys that cannot be fetched are our failure, not the pusher's (a 500 and a redelivery).
    const certificates = await this.certificates();
    let claims: TokenPayload | undefined;
    try {
      // No audience passed: checked below, so that a wrong one is a 403 rather than a 401.
      claims = (await this.client.verifySignedJwtWithCertsAsync(token, certificates, undefined, GOOGLE_ISSUERS)).getPayload();
    } catch (error) {
      throw new PushUnauthenticatedError(`Invalid token: ${reasonWithoutToken(error, token)}`);
    }
    if (!claims) throw new PushUnauthenticatedError('Invalid token: no claims');

    const audience = this.options.audience ?? endpointUrl;
    if (!sameAudience(claims.aud, audience)) {
      throw new PushForbiddenError(`Token is for audience ${claims.aud}, not ${audience}`);
    }
    if (claims.email !== this.options.serviceAccount) {
      throw new PushForbiddenError(
        `Token is of ${claims.email ?? 'no account'}, not of the push service account ${this.options.serviceAccount}`,
      );
    }
    if (claims.email_verified !== true) {
      throw new PushForbiddenError(`Token's email ${claims.email} is not verified`);
    }
  }
}

function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw new PushUnauthenticatedError('No Authorization header');
  // The scheme is case-insensitive (RFC 7235).
  const token = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
  if (!token) throw new PushUnauthenticatedError('Authorization is not a bearer token');
  return token;
}

/**
 * The library's reason up to its first ': ', since what follows is the token itself or its claims: the
 * reason ends up in logs, and a token must never.
 */
function reasonWithoutToken(error: unknown, token: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split(': ')[0] ?? '').replaceAll(token, '[token]');
}

/**
 * `https://fn.a.run.app` and `https://fn.a.run.app/` are one endpoint: Pub/Sub keeps the audience as it
 * was written, while a request URL always has a path.
 */
function sameAudience(claimed: unknown, expected: string): boolean {
  const normalized = (audience: string) => (URL.canParse(audience) ? new URL(audience).href : audience);
  return typeof claimed === 'string' && normalized(claimed) === normalized(expected);
}
