/**
 * The seed's identities: the demo accounts it creates in the Firebase Auth emulator (the staff of
 * DEMO_STAFF, and one account per demo customer whose uid is their customer id) and the ID tokens it sends
 * each mutation with, so every command reaches the API as the principal a real client would be.
 *
 * The accounts have a known password, so this refuses anything but an Auth emulator that answers as one.
 */
import type { StaffRole } from '../../src/auth/principal.ts';
import { authEmulatorAnswers, firebaseJsonPorts, firebaseProjectId } from '../emulatorLauncher.ts';
import { customerIdentity, DEMO_PASSWORD, DEMO_STAFF, signedIn, signIn, staffIdentity, type Identity } from '../identities.ts';
import { SeedError } from './seedError.ts';

export interface AuthEmulatorTarget {
  /** "host:port", as in FIREBASE_AUTH_EMULATOR_HOST. */
  readonly host: string;
  /** The project the emulator issues tokens for: the API must accept it (its AUTH_PROJECT_ID). */
  readonly projectId: string;
}

export interface SeedIdentitiesSummary {
  readonly authEmulator: string;
  readonly projectId: string;
  /** Every account's password. */
  readonly password: string;
  readonly staff: ReadonlyArray<{ readonly email: string; readonly uid: string; readonly roles: readonly StaffRole[] }>;
  readonly customers: ReadonlyArray<{ readonly email: string; readonly uid: string; readonly name: string }>;
}

interface SeedCustomer {
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

/** ID tokens last an hour; the seed signs in again well before, rather than find out from a refusal. */
const TOKEN_MAX_AGE_MS = 50 * 60_000;

/** Where the Auth emulator is unless told: FIREBASE_AUTH_EMULATOR_HOST, else the port firebase.json gives it. */
export function defaultAuthEmulator(env: NodeJS.ProcessEnv = process.env): AuthEmulatorTarget {
  return {
    host: env.FIREBASE_AUTH_EMULATOR_HOST || `127.0.0.1:${firebaseJsonPorts().auth}`,
    projectId: firebaseProjectId(),
  };
}

interface SignIn {
  readonly token: Promise<string>;
  readonly at: number;
}

/** The accounts the seed makes sure exist, for people and for `npm run dev` to print. */
export function seedIdentitiesSummary(target: AuthEmulatorTarget, customers: readonly SeedCustomer[]): SeedIdentitiesSummary {
  return {
    authEmulator: target.host,
    projectId: target.projectId,
    password: DEMO_PASSWORD,
    staff: DEMO_STAFF.map(({ email, uid, roles }) => ({ email, uid, roles: [...(roles ?? [])] })),
    customers: customers.map(({ email, customerId, name }) => ({ email, uid: customerId, name })),
  };
}

export class SeedIdentities {
  private readonly signIns = new Map<string, SignIn>();
  private readonly customers: ReadonlyMap<string, Identity>;

  private constructor(
    private readonly target: AuthEmulatorTarget,
    customers: readonly SeedCustomer[],
  ) {
    this.customers = new Map(customers.map((c) => [c.customerId, customerIdentity(c.customerId, c.email, c.name)]));
  }

  /**
   * Creates (or brings up to date) the staff and customer accounts in the Auth emulator and signs each in
   * once. Fails with a SeedError when no Auth emulator answers at the target.
   */
  static async prepare(
    target: AuthEmulatorTarget,
    customers: readonly SeedCustomer[],
    onProgress: (done: number, total: number) => void = () => {},
  ): Promise<SeedIdentities> {
    await useAuthEmulator(target.host);
    const identities = new SeedIdentities(target, customers);
    const accounts = [...DEMO_STAFF, ...identities.customers.values()];
    let done = 0;
    await Promise.all(
      accounts.map(async (identity) => {
        // Update first, then sign in: changing an account's password revokes the tokens issued before.
        await identities.remember(identity, signedIn(target.projectId, identity));
        onProgress(++done, accounts.length);
      }),
    );
    return identities;
  }

  /** A current ID token of the identity: the cached one, unless it is old enough to expire soon. */
  token(identity: Identity): Promise<string> {
    const cached = this.signIns.get(identity.uid);
    if (cached && Date.now() - cached.at < TOKEN_MAX_AGE_MS) return cached.token;
    return this.signInAgain(identity);
  }

  /**
   * The API refused `refused` (expired, or revoked because the account changed): a fresh token, signing in
   * again unless a concurrent request already has.
   */
  async refresh(identity: Identity, refused: string): Promise<string> {
    const cached = this.signIns.get(identity.uid);
    const current = await cached?.token.catch(() => undefined);
    if (current !== undefined && current !== refused) return current;
    return this.signInAgain(identity);
  }

  /** The account of a seeded customer: their uid is their customer id. */
  customer(customerId: string): Identity {
    const identity = this.customers.get(customerId);
    if (!identity) throw new SeedError(`customer ${customerId} is not one of the seed's`);
    return identity;
  }

  staff(role: StaffRole): Identity {
    return staffIdentity(role);
  }

  private signInAgain(identity: Identity): Promise<string> {
    return this.remember(identity, signIn(identity.email));
  }

  /** Caches a sign-in under the account's uid, failing with a SeedError that names the account. */
  private remember(identity: Identity, signingIn: Promise<string>): Promise<string> {
    const token = signingIn.catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SeedError(`Could not set up or sign in to ${identity.email} in the Auth emulator at ${this.target.host} (${reason}).`);
    });
    this.signIns.set(identity.uid, { token, at: Date.now() });
    return token;
  }
}

/**
 * Makes firebase-admin and scripts/identities.ts, which find the emulator through FIREBASE_AUTH_EMULATOR_HOST,
 * talk to this one, after making sure it is an Auth emulator at all.
 */
async function useAuthEmulator(host: string): Promise<void> {
  if (!(await authEmulatorAnswers(host))) {
    throw new SeedError(
      `No Firebase Auth emulator answers at ${host}. The seed creates accounts with a known password, so it only ` +
        'runs against the Auth emulator: start it (npm run dev, or npm run emulators) or point the seed at it with --auth-emulator.',
    );
  }
  const current = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (current && current !== host) {
    throw new SeedError(`This process already uses the Auth emulator at ${current} (FIREBASE_AUTH_EMULATOR_HOST), not ${host}.`);
  }
  process.env.FIREBASE_AUTH_EMULATOR_HOST = host;
}

/** For people: who can sign in to the demo shop, one account a line. */
export function describeIdentities(identities: SeedIdentitiesSummary): string {
  const rows = [
    ...identities.staff.map((s) => [s.email, s.roles.join(', ')] as const),
    ...identities.customers.map((c) => [c.email, `customer ${c.uid} (${c.name})`] as const),
  ];
  const width = Math.max(...rows.map(([email]) => email.length));
  return [
    `Demo identities in the Auth emulator at ${identities.authEmulator} (project ${identities.projectId}), ` +
      `password ${identities.password}:`,
    ...rows.map(([email, roles]) => `  ${email.padEnd(width)}  ${roles}`),
  ].join('\n');
}
