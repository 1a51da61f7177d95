/**
 * Signed-in callers for tests, through the real Auth emulator: accounts are created (or updated) with the
 * Admin SDK and signed in to over Identity Toolkit's REST API, exactly as a client would, and the API
 * verifies their ID tokens. Tokens are cached per account for the test process.
 */
import { FirebaseTokenVerifier } from '../../src/auth/firebaseTokenVerifier.ts';
import type { StaffRole } from '../../src/auth/principal.ts';
import { customerIdentity, signedIn, staffIdentity, type Identity } from '../../scripts/identities.ts';

export const AUTH_PROJECT_ID = 'demo-eventloom';

const tokens = new Map<string, Promise<string>>();

export function tokenFor(identity: Identity): Promise<string> {
  const key = `${identity.uid}|${identity.roles?.join(',') ?? ''}`;
  let token = tokens.get(key);
  if (!token) {
    token = signedIn(AUTH_PROJECT_ID, identity);
    tokens.set(key, token);
    token.catch(() => tokens.delete(key));
  }
  return token;
}

/** `Authorization` headers of the customer whose customer id (and uid) is `customerId`. */
export async function asCustomer(customerId: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await tokenFor(customerIdentity(customerId))}` };
}

/** `Authorization` headers of the demo staff account holding `role`. */
export async function asStaff(role: StaffRole): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await tokenFor(staffIdentity(role))}` };
}

/** The same, as graphql-ws connection parameters. */
export async function connectionAs(headers: Promise<Record<string, string>> | Record<string, string>): Promise<{ authorization: string }> {
  return { authorization: (await headers).authorization! };
}

/** The verifier the API under test uses: Firebase ID tokens of the emulator's project. */
export function testTokens(): FirebaseTokenVerifier {
  return new FirebaseTokenVerifier({ projectId: AUTH_PROJECT_ID });
}

const CATALOG_COMMANDS = new Set(['addProduct', 'changeProductPrice', 'restockProduct', 'discontinueProduct']);
const FULFILMENT_COMMANDS = new Set(['confirmOrderPayment', 'shipOrder', 'cancelOrder']);

/**
 * Who sends a command mutation in a test that is not about who may: catalog staff for the catalog, the
 * customer named in the input for their own registration and orders, fulfilment staff for an order's
 * payment, shipping and cancellation.
 */
export function asIssuerOf(mutation: string, input: { customerId?: unknown }): Promise<Record<string, string>> {
  if (CATALOG_COMMANDS.has(mutation)) return asStaff('catalog');
  if (FULFILMENT_COMMANDS.has(mutation)) return asStaff('fulfilment');
  if (typeof input.customerId !== 'string') throw new Error(`${mutation}: no customerId to sign in as`);
  return asCustomer(input.customerId);
}
