/**
 * Firebase Authentication / Identity Platform ID tokens, verified with firebase-admin: signature against
 * Google's keys, issuer and audience = the project, expiry, and (where it matters) revocation.
 *
 * Revocation costs a call to the Auth backend, so it is checked for staff accounts on every request
 * (their tokens can redrive dead letters and change prices) and for every WebSocket connection when it
 * opens; a customer's HTTP request trusts the signed token for its lifetime (at most an hour).
 * With FIREBASE_AUTH_EMULATOR_HOST set, firebase-admin accepts the emulator's unsigned tokens, and
 * only then.
 *
 * firebase-admin (with google-auth-library, about 1.4 MB of JavaScript) and jose are loaded on the first token,
 * or by `warmUp()`, not when the process starts: an anonymous request never needs them, and a new instance
 * answers sooner without them (see startApi.ts).
 */
import type { App } from 'firebase-admin/app';
import type { Auth, DecodedIdToken } from 'firebase-admin/auth';
import { rolesFromClaim, UnauthenticatedError, type Principal, type TokenVerifier } from './principal.ts';

export interface FirebaseTokenVerifierOptions {
  /** The Firebase / Identity Platform project whose tokens are accepted (their `aud`). */
  readonly projectId: string;
  /** Check revocation on every token, not only staff ones (WebSocket connections do). */
  readonly alwaysCheckRevoked?: boolean;
}

/** What verifying needs, loaded on first use. */
interface Verification {
  readonly auth: Auth;
  readonly decodeJwt: typeof import('jose').decodeJwt;
}

export class FirebaseTokenVerifier implements TokenVerifier {
  private verification: Promise<Verification> | undefined;

  constructor(private readonly options: FirebaseTokenVerifierOptions) {}

  /** The same verifier, checking revocation on every token. */
  strict(): FirebaseTokenVerifier {
    return new FirebaseTokenVerifier({ ...this.options, alwaysCheckRevoked: true });
  }

  /** Loads firebase-admin ahead of the first token (a failure surfaces at that token's verification). */
  async warmUp(): Promise<void> {
    await this.loaded().catch(() => {});
  }

  async verify(token: string): Promise<Principal> {
    const { auth, decodeJwt } = await this.loaded();
    let decoded: DecodedIdToken;
    try {
      decoded = await auth.verifyIdToken(token, this.options.alwaysCheckRevoked || claimsStaffRoles(decodeJwt, token));
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

  private loaded(): Promise<Verification> {
    // A failed load is not kept: the next token tries again.
    this.verification ??= Promise.all([authFor(this.options.projectId), import('jose')])
      .then(([auth, { decodeJwt }]) => ({ auth, decodeJwt }))
      .catch((error: unknown) => {
        this.verification = undefined;
        throw error;
      });
    return this.verification;
  }
}

/**
 * Whether the token says it holds staff roles, read before it is verified only to choose the stricter check
 * (a forged claim buys its sender a revocation check, nothing more), so each token is verified once.
 */
function claimsStaffRoles(decodeJwt: Verification['decodeJwt'], token: string): boolean {
  try {
    const { roles } = decodeJwt(token);
    return Array.isArray(roles) && roles.length > 0;
  } catch {
    return false;
  }
}

/** One firebase-admin app per project, shared by every verifier of this process. */
async function authFor(projectId: string): Promise<Auth> {
  const [{ getApps, initializeApp }, { getAuth }] = await Promise.all([import('firebase-admin/app'), import('firebase-admin/auth')]);
  const name = `eventloom-auth-${projectId}`;
  const app: App = getApps().find((candidate) => candidate.name === name) ?? initializeApp({ projectId }, name);
  return getAuth(app);
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
