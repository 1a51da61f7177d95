/**
 * How the seed talks to the API: its mutations over HTTP, each signed in as the identity that sends it,
 * retried where a second try may pass, with business rules' refusals returned as outcomes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Identity } from '../identities.ts';
import { SeedError } from './seedError.ts';
import type { SeedIdentities } from './seedIdentities.ts';

const ERROR_FIELDS = '... on Error { code message }';
const MUTATIONS = {
  addProduct: `mutation($input: AddProductInput!) { addProduct(input: $input) { __typename ... on ProductCommandPayload { replayed } ${ERROR_FIELDS} } }`,
  discontinueProduct: `mutation($input: DiscontinueProductInput!) { discontinueProduct(input: $input) { __typename ... on ProductCommandPayload { replayed } ${ERROR_FIELDS} } }`,
  registerCustomer: `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename ... on CustomerCommandPayload { replayed } ${ERROR_FIELDS} } }`,
  placeOrder: `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename ... on PlaceOrderPayload { orderId replayed } ${ERROR_FIELDS} ... on InputValidationError { issues { path message } } } }`,
  confirmOrderPayment: `mutation($input: ConfirmOrderPaymentInput!) { confirmOrderPayment(input: $input) { __typename ... on OrderCommandPayload { replayed } ${ERROR_FIELDS} } }`,
  shipOrder: `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { __typename ... on OrderCommandPayload { replayed } ${ERROR_FIELDS} } }`,
  cancelOrder: `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename ... on OrderCommandPayload { replayed } ${ERROR_FIELDS} } }`,
} as const;

export type MutationName = keyof typeof MUTATIONS;

export type MutationOutcome =
  | { readonly ok: true; readonly replayed: boolean; readonly orderId?: string }
  | { readonly ok: false; readonly code: string; readonly typename: string; readonly message: string };

interface MutationResult {
  __typename: string;
  replayed?: boolean;
  orderId?: string;
  code?: string;
  message?: string;
  issues?: Array<{ path: string[]; message: string }>;
}

interface GraphQLResponseBody {
  data?: Record<string, MutationResult | null> | null;
  errors?: Array<{ message: string; extensions?: { code?: unknown } }>;
}

/** Tries of one mutation: for the network, 5xx, 429 and ConcurrencyConflict. */
const MAX_ATTEMPTS = 4;

/** Fails with a SeedError that says what to do when nothing answers at the URL. */
export async function probeApi(url: string): Promise<void> {
  let response: Response;
  try {
    response = await post(url, { query: '{ __typename }' }, {});
  } catch (error) {
    throw new SeedError(
      `The GraphQL API is not reachable at ${url} (${reasonOf(error)}). Start it first (npm run dev) or point the seed at it with --url.`,
    );
  }
  const body = (await response.json().catch(() => null)) as { data?: { __typename?: string } } | null;
  if (body?.data?.__typename !== 'Query') {
    throw new SeedError(`${url} answered HTTP ${response.status} but not as a GraphQL API: is the URL right?`);
  }
}

export class GraphQLClient {
  constructor(
    private readonly url: string,
    private readonly identities: SeedIdentities,
    private readonly onCommand: (replayed: boolean) => void,
  ) {}

  /**
   * Runs a mutation signed in `as` the identity. Retries what may pass on a second try (network, 5xx,
   * ConcurrencyConflict, a token the API no longer accepts, after signing in again): the idempotency key
   * makes that safe. Business rules' refusals come back as outcomes, not exceptions.
   */
  async mutate(
    name: MutationName,
    input: Record<string, unknown>,
    as: Identity,
    headers: Record<string, string> = {},
  ): Promise<MutationOutcome> {
    let token = await this.identities.token(as);
    let signedInAgain = false;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= MAX_ATTEMPTS;
      let response: Response;
      try {
        response = await post(this.url, { query: MUTATIONS[name], variables: { input } }, { ...headers, authorization: `Bearer ${token}` });
      } catch (error) {
        if (last) throw new SeedError(`${name}: the API stopped answering (${reasonOf(error)})`);
        await sleep(200 * 2 ** attempt);
        continue;
      }
      if (response.status >= 500 || response.status === 429) {
        if (last) throw new SeedError(`${name}: HTTP ${response.status} ${await response.text()}`);
        await sleep(200 * 2 ** attempt);
        continue;
      }
      const body = (await response.json().catch(() => null)) as GraphQLResponseBody | null;
      const authError = body?.errors?.find((e) => e.extensions?.code === 'AUTH.UNAUTHENTICATED' || e.extensions?.code === 'AUTH.FORBIDDEN');
      if (authError?.extensions?.code === 'AUTH.UNAUTHENTICATED' && !signedInAgain) {
        // Expired, or revoked because the account changed since: once per command, sign in and try again.
        signedInAgain = true;
        token = await this.identities.refresh(as, token);
        continue;
      }
      if (authError) {
        const hint =
          authError.extensions?.code === 'AUTH.FORBIDDEN'
            ? 'The account lacks the role the mutation needs: were its roles changed?'
            : "Does the API take this Auth emulator's tokens (its FIREBASE_AUTH_EMULATOR_HOST, and AUTH_PROJECT_ID = the seed's --auth-project)?";
        throw new SeedError(`${name} as ${as.email} was refused: ${authError.message} ${hint}`);
      }
      const result = body?.data?.[name];
      if (!result) {
        const reason = body?.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`;
        throw new SeedError(`${name} failed: ${reason}`);
      }
      if (result.__typename === 'InputValidationError') {
        const issues = result.issues?.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        throw new SeedError(`${name} refused the seed's input (${issues}): a bug in the seed`);
      }
      if (result.__typename === 'ConcurrencyConflict' && !last) {
        await sleep(100 * 2 ** attempt);
        continue;
      }
      if (result.code) return { ok: false, code: result.code, typename: result.__typename, message: result.message ?? '' };
      this.onCommand(result.replayed === true);
      return { ok: true, replayed: result.replayed === true, ...(result.orderId ? { orderId: result.orderId } : {}) };
    }
  }
}

function post(url: string, body: object, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error.cause as { code?: string; message?: string } | undefined) ?? undefined;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
