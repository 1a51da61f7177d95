// Accounts in the Firebase Auth emulator, and signing in to them: the demo identities `npm run dev` and
// `npm run seed` create (staff with their roles as custom claims, customers whose uid is their customer id),
// and the sign-ins the seed, the benchmarks and the tests make. Only for the emulator: real accounts are
// managed in Identity Platform, never by these scripts.

import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import type { StaffRole } from '../src/auth/principal.ts';

export const DEMO_PASSWORD = 'eventloom-demo';

export interface Identity {
  readonly uid: string;
  readonly email: string;
  readonly displayName?: string;
  readonly roles?: readonly StaffRole[];
}

/** The staff accounts of the demo shop, one per role. */
export const DEMO_STAFF: readonly Identity[] = [
  { uid: 'staff-operator', email: 'operator@eventloom.test', displayName: 'Demo operator', roles: ['operator'] },
  { uid: 'staff-catalog', email: 'catalog@eventloom.test', displayName: 'Demo catalog manager', roles: ['catalog'] },
  { uid: 'staff-fulfilment', email: 'fulfilment@eventloom.test', displayName: 'Demo fulfilment', roles: ['fulfilment'] },
];

export function staffIdentity(role: StaffRole): Identity {
  const staff = DEMO_STAFF.find((identity) => identity.roles?.includes(role));
  if (!staff) throw new Error(`no demo identity for ${role}`);
  return staff;
}

/** A customer's account: their uid is their customer id. */
export function customerIdentity(customerId: string, email = `${customerId}@customers.eventloom.test`, displayName?: string): Identity {
  return { uid: customerId, email, ...(displayName ? { displayName } : {}) };
}

/** The Auth emulator of this machine: FIREBASE_AUTH_EMULATOR_HOST, which firebase-admin also reads. */
function emulatorHost(): string {
  const host = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (!host) throw new Error('FIREBASE_AUTH_EMULATOR_HOST is not set: demo identities exist only in the Auth emulator.');
  return host;
}

function adminAuth(projectId: string): Auth {
  emulatorHost();
  const name = `eventloom-identities-${projectId}`;
  return getAuth(getApps().find((app) => app.name === name) ?? initializeApp({ projectId }, name));
}

/**
 * Creates the account, or brings an existing one's email, name and roles up to date. An existing account's
 * password is left alone: changing it would revoke every token already issued for it (other test files and
 * processes hold some).
 */
export async function ensureIdentity(projectId: string, identity: Identity): Promise<void> {
  const auth = adminAuth(projectId);
  const claims = identity.roles?.length ? { roles: [...identity.roles] } : null;
  try {
    await auth.createUser({
      uid: identity.uid,
      email: identity.email,
      password: DEMO_PASSWORD,
      emailVerified: true,
      ...(identity.displayName ? { displayName: identity.displayName } : {}),
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'auth/uid-already-exists') throw error;
    const existing = await auth.getUser(identity.uid);
    if (existing.email !== identity.email || (identity.displayName && existing.displayName !== identity.displayName)) {
      await auth.updateUser(identity.uid, {
        email: identity.email,
        ...(identity.displayName ? { displayName: identity.displayName } : {}),
      });
    }
    if (JSON.stringify(existing.customClaims?.roles ?? null) === JSON.stringify(claims?.roles ?? null)) return;
  }
  await auth.setCustomUserClaims(identity.uid, claims);
}

/** Signs in with email and password the way a client does (Identity Toolkit REST), returning the ID token. */
export async function signIn(email: string, password = DEMO_PASSWORD): Promise<string> {
  const response = await fetch(`http://${emulatorHost()}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=emulator`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  const body = (await response.json()) as { idToken?: string; error?: { message?: string } };
  if (!response.ok || !body.idToken) throw new Error(`sign-in as ${email} failed: ${body.error?.message ?? response.status}`);
  return body.idToken;
}

/** Makes sure the account exists as described, then signs in to it. */
export async function signedIn(projectId: string, identity: Identity): Promise<string> {
  await ensureIdentity(projectId, identity);
  return signIn(identity.email);
}
