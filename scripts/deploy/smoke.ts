/**
 * `npm run deploy -- --smoke`: after a deploy, checks the API answers: a public query (the catalog) without a
 * token, and, given a test account, one signed-in query (the account's own order history) with an Identity
 * Platform ID token. The API has no separate health endpoint; the public query goes through the whole stack
 * (Cloud Run, the GraphQL layer, Firestore).
 */

export interface SmokeOptions {
  readonly serviceUrl: string;
  /** An Identity Platform email/password account to sign in as, and the web API key to sign in with. */
  readonly signIn?: { readonly email: string; readonly password: string; readonly apiKey: string };
  /** Identity Platform's endpoint; the Auth emulator's in tests. */
  readonly identityToolkitUrl?: string;
}

export interface SmokeResult {
  readonly serviceUrl: string;
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[];
}

const PUBLIC_QUERY = '{ products(first: 1) { edges { node { id name } } } }';
const SIGNED_IN_QUERY = 'query Smoke($customerId: ID!) { customerOrders(customerId: $customerId) { customerId orderCount } }';

export async function smoke(options: SmokeOptions): Promise<SmokeResult> {
  const identityToolkit = options.identityToolkitUrl ?? 'https://identitytoolkit.googleapis.com';
  const endpoint = new URL('/graphql', options.serviceUrl).toString();
  const graphql = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      data?: unknown;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    const ok = response.ok && !body.errors?.length && body.data != null;
    const detail = ok
      ? `HTTP ${response.status}`
      : `HTTP ${response.status} ${body.errors?.map((e) => e.extensions?.code ?? e.message).join(', ') ?? 'no GraphQL answer'}`;
    return { ok, detail };
  };

  const checks: { name: string; ok: boolean; detail: string }[] = [];
  checks.push({ name: 'public query (products)', ...(await graphql(PUBLIC_QUERY, {})) });
  if (options.signIn) {
    const { email, password, apiKey } = options.signIn;
    const response = await fetch(`${identityToolkit}/v1/accounts:signInWithPassword?key=${encodeURIComponent(apiKey)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    });
    const account = (await response.json().catch(() => ({}))) as { idToken?: string; localId?: string; error?: { message?: string } };
    if (!account.idToken || !account.localId) {
      checks.push({ name: `sign in as ${email}`, ok: false, detail: account.error?.message ?? `HTTP ${response.status}` });
    } else {
      checks.push({
        name: `signed-in query (customerOrders as ${email})`,
        ...(await graphql(SIGNED_IN_QUERY, { customerId: account.localId }, account.idToken)),
      });
    }
  }
  return { serviceUrl: options.serviceUrl, checks };
}
