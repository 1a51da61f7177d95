/**
 * (g) What authentication costs an order: placeOrder through the API with the caller's Firebase ID token
 * verified (FirebaseTokenVerifier, as `src/main.ts` wires it for HTTP requests), against the same orders
 * through an API that trusts one fixed principal without looking at the token (FixedPrincipalVerifier, the
 * bench's baseline only).
 *
 * Both APIs are built the way `src/main.ts` builds one (firestoreApiDeps: the versioned event store, product
 * snapshots) over the same Firestore project, each on an HTTP port of its own, and the client POSTs to them
 * over real sockets with the same headers and body: a signed-in customer's token, for the products
 * `setUpShop` put in the catalog beforehand, so every order appends to existing product streams. The
 * fixed principal is the one the real verifier makes of that very token, so both APIs authorize and decide
 * exactly alike; only the verification differs.
 *
 * One order at a time (latency, not throughput), the two APIs alternating in ABBA pairs so that a load burst
 * on the shared machine and the growth of the product streams hit both alike. Beside each pair, one direct
 * `verify()` of the token shows what verification alone takes.
 *
 * In emulator mode firebase-admin checks revocation on every `verifyIdToken` (a getUser round trip to the
 * Auth emulator), which production does not do for customer tokens (there: a local signature check against
 * Google's cached public keys). So the ratio here is an upper bound of what a customer's order pays.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PubSub } from '@google-cloud/pubsub';
import { customerIdentity } from '../scripts/identities.ts';
import { firestoreApiDeps } from '../src/apiDeps.ts';
import { FirebaseTokenVerifier } from '../src/auth/firebaseTokenVerifier.ts';
import type { TokenVerifier } from '../src/auth/principal.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { createApi, type Api } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { projections } from '../src/projections/all.ts';
import { AUTH_PROJECT_ID, tokenFor } from '../test/support/identities.ts';
import { orderInput, PLACE_ORDER, setUpShop } from '../test/support/orders.ts';
import { FixedPrincipalVerifier } from './fixedPrincipalVerifier.ts';
import { startPhase } from './progress.ts';
import { median, summarizeLatencies, type LatencySummary } from './stats.ts';
import { ONE_CALLER_API } from './oneCaller.ts';

export interface AuthCostPlan {
  /** Orders per side. */
  readonly orders: number;
  /** Orders per side placed first and thrown away (cold paths on both APIs and in the emulators). */
  readonly warmup: number;
}

export const AUTH_COST_PLANS: Record<'full' | 'quick', AuthCostPlan> = {
  full: { orders: 200, warmup: 10 },
  quick: { orders: 60, warmup: 5 },
};

export const AUTH_SIDES = ['token verified', 'fixed principal'] as const;
type Side = (typeof AUTH_SIDES)[number];
const [VERIFIED, FIXED] = AUTH_SIDES;

export interface AuthCostResult {
  readonly plan: AuthCostPlan;
  /** placeOrder POST → response body, per side. */
  readonly latency: Readonly<Record<Side, LatencySummary>>;
  /** Per pair, verified minus fixed: the cost of verification as one order sees it. */
  readonly pairedDifferenceP50: number;
  /** `FirebaseTokenVerifier.verify(token)` called directly, once per pair. */
  readonly verifyAlone: LatencySummary;
}

/** No run sells out: every order takes two kettles and a mug. */
const STOCK = 1_000_000;

export async function measureAuthCost(plan: AuthCostPlan): Promise<AuthCostResult> {
  const projectId = `bench-auth-${randomUUID().slice(0, 8)}`;
  const db = createFirestore(projectId);
  const pubsub = new PubSub({ projectId });
  const verifier = new FirebaseTokenVerifier({ projectId: AUTH_PROJECT_ID });
  const servers: Server[] = [];
  try {
    const setUp = startPhase('(g) signing in, putting products in the catalog', 1);
    const customerId = `bench-auth-${randomUUID().slice(0, 8)}`;
    const token = await tokenFor(customerIdentity(customerId));
    const api = (tokens: TokenVerifier): Api =>
      createApi(
        firestoreApiDeps({
          db,
          readModels: new FirestoreReadModels(db),
          logger: createLogger({ level: 'silent' }),
          // Never published to here: placeOrder only writes the outbox, which no relay reads in this part.
          domainEventsTopic: pubsub.topic('eventloom-domain-events'),
          projections,
          tokens,
        }),
        ONE_CALLER_API,
      );
    const verifiedApi = api(verifier);
    // The principal the real verifier makes of this token, so that both APIs authorize exactly alike.
    const fixedApi = api(new FixedPrincipalVerifier(await verifier.verify(token)));
    await setUpShop(verifiedApi, [customerId], STOCK);
    const urls: Record<Side, string> = {
      [VERIFIED]: await listen(verifiedApi, servers),
      [FIXED]: await listen(fixedApi, servers),
    };
    setUp.end();

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const body = JSON.stringify({ query: PLACE_ORDER, variables: { input: orderInput(customerId) } });
    const samples: Record<Side, number[]> = { [VERIFIED]: [], [FIXED]: [] };
    const differences: number[] = [];
    const verifyMs: number[] = [];
    const pairs = plan.warmup + plan.orders;
    const phase = startPhase(`(g) orders, token verified / fixed principal (${plan.warmup} warm-up)`, 2 * pairs);
    for (let pair = 0; pair < pairs; pair++) {
      const order: Side[] = pair % 2 === 0 ? [VERIFIED, FIXED] : [FIXED, VERIFIED];
      const taken = {} as Record<Side, number>;
      for (const side of order) {
        taken[side] = await placeOrder(urls[side], headers, body);
        phase.tick();
      }
      const verifyStartedAt = performance.now();
      await verifier.verify(token);
      const verifiedIn = performance.now() - verifyStartedAt;
      if (pair >= plan.warmup) {
        for (const side of AUTH_SIDES) samples[side].push(taken[side]);
        differences.push(taken[VERIFIED] - taken[FIXED]);
        verifyMs.push(verifiedIn);
      }
    }
    phase.end();
    return {
      plan,
      latency: { [VERIFIED]: summarizeLatencies(samples[VERIFIED]), [FIXED]: summarizeLatencies(samples[FIXED]) },
      pairedDifferenceP50: median(differences),
      verifyAlone: summarizeLatencies(verifyMs),
    };
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await pubsub.close();
    await db.terminate();
  }
}

async function listen(api: Api, servers: Server[]): Promise<string> {
  const server = createServer(api);
  servers.push(server);
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return `http://127.0.0.1:${port}/graphql`;
}

/** One order, POST → parsed response, in ms. Anything but a placed order stops the run: both sides must do the same work. */
async function placeOrder(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const startedAt = performance.now();
  const response = await fetch(url, { method: 'POST', headers, body });
  const result = (await response.json()) as { data?: { placeOrder?: { __typename: string } } };
  const elapsed = performance.now() - startedAt;
  if (result.data?.placeOrder?.__typename !== 'PlaceOrderPayload') throw new Error(`placeOrder via ${url}: ${JSON.stringify(result)}`);
  return elapsed;
}
