/**
 * Firebase Authentication / Identity Platform ID tokens, verified with firebase-admin: signature against
 * Google's keys, issuer and audience = the project, expiry, and (where it matters) revocation.
 *
 * Revocation costs a call to the Auth backend, so it is checked for staff accounts on every request
 * (their tokens can redrive dead letters and change prices) and for every WebSocket connection when it
 * opens; a customer's HTTP request trusts the signed token for its lifetime (at most an hour).
 * With FIREBASE_AUTH_EMULATOR_HOST set, firebase-admin accepts the emulator's unsigned tokens, and
 * only then.
 */
import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getAuth, type Auth, type DecodedIdToken } from 'firebase-admin/auth';
import { decodeJwt } from 'jose';
import { rolesFromClaim, UnauthenticatedError, type Principal, type TokenVerifier } from './principal.ts';

export interface FirebaseTokenVerifierOptions {
  /** The Firebase / Identity Platform project whose tokens are accepted (their `aud`). */
  readonly projectId: string;
  /** Check revocation on every token, not only staff ones (WebSocket connections do). */
  readonly alwaysCheckRevoked?: boolean;
}

export class FirebaseTokenVerifier implements TokenVerifier {
  private readonly auth: Auth;

  constructor(private readonly options: FirebaseTokenVerifierOptions) {
    this.auth = getAuth(appFor(options.projectId));
  }

  /** The same verifier, checking revocation on every token. */
  strict(): TokenVerifier {
    return new FirebaseTokenVerifier({ ...this.options, alwaysCheckRevoked: true });
  }

  async verify(token: string): Promise<Principal> {
    let decoded: DecodedIdToken;
    try {
      decoded = await this.auth.verifyIdToken(token, this.options.alwaysCheckRevoked || claimsStaffRoles(token));
    } catch (error) {
      throw new UnauthenticatedError(reasonOf(error), { cause: error });
    }
    return {
      uid: decoded.uid,
      email: decoded.email ?? null,
      roles: rolesFromClaim(decoded.roles),
      expiresAt: new Date(decoded.exp * 1000),
    };
  }
}

/**
 * Whether the token says it holds staff roles, read before it is verified only to choose the stricter check
 * (a forged claim buys its sender a revocation check, nothing more), so each token is verified once.
 */
function claimsStaffRoles(token: string): boolean {
  try {
    const { roles } = decodeJwt(token);
    return Array.isArray(roles) && roles.length > 0;
  } catch {
    return false;
  }
}

/** One firebase-admin app per project, shared by every verifier of this process. */
function appFor(projectId: string): App {
  const name = `eventloom-auth-${projectId}`;
  return getApps().find((app) => app.name === name) ?? initializeApp({ projectId }, name);
}

/** What the client may be told: why the token was refused, never the token itself. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'auth/id-token-expired':
      return 'The ID token has expired: get a fresh one and retry.';
    case 'auth/id-token-revoked':
      return 'The ID token has been revoked: sign in again.';
    case 'auth/user-disabled':
      return 'This account is disabled.';
    default:
      return 'The ID token is not valid.';
  }
}
