/**
 * Firebase Authentication for the page. The API says how to reach it (GET /dashboard/config.json, see
 * src/graphql/serveDashboard.ts): the Firebase web config of the project whose tokens it accepts, and the
 * Auth emulator's URL in development. Only `firebase/app` and `firebase/auth` are imported, and auth is
 * initialized without the popup/redirect machinery (email and password need none), to keep the bundle small.
 */
import { initializeApp } from 'firebase/app';
import {
  AuthErrorCodes,
  browserLocalPersistence,
  connectAuthEmulator,
  indexedDBLocalPersistence,
  initializeAuth,
  type Auth,
} from 'firebase/auth';

/** The `auth` of /dashboard/config.json (DashboardAuthConfig in src/graphql/serveDashboard.ts). */
export interface AuthConfig {
  readonly apiKey: string;
  readonly authDomain: string;
  readonly projectId: string;
  readonly emulatorUrl?: string;
}

/** How the API says sign-in works here; null when it has not been configured. */
export async function loadAuthConfig(): Promise<AuthConfig | null> {
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`The dashboard's configuration did not load (HTTP ${response.status}).`);
  const { auth } = (await response.json()) as { auth?: Partial<AuthConfig> | null };
  if (!auth) return null;
  const { apiKey, authDomain, projectId, emulatorUrl } = auth;
  if (typeof apiKey !== 'string' || typeof authDomain !== 'string' || typeof projectId !== 'string') {
    throw new Error("The dashboard's configuration is incomplete (apiKey, authDomain, projectId).");
  }
  return { apiKey, authDomain, projectId, ...(typeof emulatorUrl === 'string' ? { emulatorUrl } : {}) };
}

export function startAuth(config: AuthConfig): Auth {
  const app = initializeApp({ apiKey: config.apiKey, authDomain: config.authDomain, projectId: config.projectId });
  // Signed in until signing out, also across reloads; signing out removes the user from storage.
  const auth = initializeAuth(app, { persistence: [indexedDBLocalPersistence, browserLocalPersistence] });
  // The SDK's own emulator banner is off: the page says so itself, next to the sign-in form.
  if (config.emulatorUrl) connectAuthEmulator(auth, config.emulatorUrl, { disableWarnings: true });
  return auth;
}

/** What a failed sign-in tells the user. */
export function signInFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case AuthErrorCodes.INVALID_LOGIN_CREDENTIALS:
    case AuthErrorCodes.INVALID_PASSWORD:
    case AuthErrorCodes.USER_DELETED:
      return 'Wrong email or password.';
    case AuthErrorCodes.INVALID_EMAIL:
      return 'That is not an email address.';
    case AuthErrorCodes.USER_DISABLED:
      return 'This account is disabled.';
    case AuthErrorCodes.TOO_MANY_ATTEMPTS_TRY_LATER:
      return 'Too many attempts: wait a moment, then try again.';
    case AuthErrorCodes.NETWORK_REQUEST_FAILED:
      return 'Firebase Authentication cannot be reached: check the connection and try again.';
    default:
      console.warn('sign-in failed', error);
      return 'Signing in failed. Try again.';
  }
}
