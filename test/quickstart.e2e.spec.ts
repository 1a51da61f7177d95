/**
 * The README's quickstart against the whole pipeline on the emulators, as a reader would run it: the part of the
 * demo shop the examples use (from the seed's own data), then the "first order with curl" block run by bash
 * exactly as written (only the API and
 * Auth emulator addresses point at this test's ports), and the GraphiQL examples (the subscription sees the
 * order the mutation places). Schema validity of every example is docExamples.unit.spec.ts's job.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerIdentity, ensureIdentity, signIn } from '../scripts/identities.ts';
import { DEMO_CATALOG, DEMO_CUSTOMERS } from '../scripts/seed/demoShop.ts';
import { fencedBlocks, readDoc } from './support/docExamples.ts';
import { AUTH_PROJECT_ID, asStaff } from './support/identities.ts';
import { graphql, type Pipeline, pipelineReleasingListeners } from './support/pipeline.ts';
import { subscribeOverSse } from './support/subscriptions.ts';

const run = promisify(execFile);
const README = readDoc('README.md');
/** Ada Lovelace, the seed's first customer, whom the README signs in as. */
const ADA = DEMO_CUSTOMERS.find((customer) => customer.customerId === 'cust-001')!;
/** The seeded products the README orders. */
const PRODUCTS = ['sku-stoneware-mug', 'sku-paper-filters'];

let pipeline: Pipeline;

// The subscription test must leave no Firestore listener behind; this also starts and stops the pipeline.
pipelineReleasingListeners((started) => {
  pipeline = started;
});

beforeAll(async () => {
  // The README's examples need curl and jq (its Requirements say so); say which is missing rather than fail obscurely.
  for (const tool of ['curl', 'jq']) {
    await run('sh', ['-c', `command -v ${tool}`]).catch(() => {
      throw new Error(`${tool} is not installed: the README's curl examples need it (apt-get install ${tool}).`);
    });
  }
  // What `npm run dev`'s seed has loaded when a reader gets to the examples, as far as they use it (the whole
  // seed takes minutes): Ada's account, her registration, and the products she orders.
  expect(ADA.email).toBe('ada.lovelace@example.com');
  await ensureIdentity(AUTH_PROJECT_ID, customerIdentity(ADA.customerId, ADA.email, ADA.name));
  const register = await graphql(
    pipeline.api,
    'mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename } }',
    { input: { customerId: ADA.customerId, name: ADA.name, email: ADA.email } },
    await asAda(),
  );
  expect(register).toEqual({ data: { registerCustomer: { __typename: 'CustomerCommandPayload' } } });
  for (const { productId, name, priceCents, initialStock } of DEMO_CATALOG.filter((p) => PRODUCTS.includes(p.productId))) {
    const added = await graphql(
      pipeline.api,
      'mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename } }',
      { input: { productId, name, priceCents, initialStock } },
      await asStaff('catalog'),
    );
    expect(added).toEqual({ data: { addProduct: { __typename: 'ProductCommandPayload' } } });
  }
}, 120_000);

async function asAda(): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await signIn(ADA.email)}` };
}

/** The README's "first order with curl" block, pointed at this test's API and Auth emulator. */
function firstOrderScript(): string {
  const blocks = fencedBlocks('README.md', README, 'sh').filter((block) => block.text.includes('placeOrder'));
  expect(blocks, 'the README has one curl block that places an order').toHaveLength(1);
  const script = blocks[0]!.text;
  const api = /^API=http:\/\/localhost:4000\/graphql$/m;
  const auth = /^AUTH=http:\/\/127\.0\.0\.1:9099\/identitytoolkit\.googleapis\.com\/v1$/m;
  // If these lines change shape, this test must learn the new one rather than run against the wrong address.
  expect(script).toMatch(api);
  expect(script).toMatch(auth);
  return script
    .replace(api, `API=${pipeline.httpUrl}`)
    .replace(auth, `AUTH=http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1`);
}

/** Runs a script with bash as a terminal would and returns the JSON documents it printed (jq's output). */
async function bash(script: string): Promise<Array<{ data: Record<string, Record<string, unknown>> }>> {
  const { stdout } = await run('bash', ['-c', script], { timeout: 60_000 });
  return stdout
    .split(/\n(?=\{)/)
    .filter((part) => part.trim())
    .map((part) => JSON.parse(part));
}

describe("the README's quickstart", () => {
  it('places a first order with curl and reads it back, and the same request again is replayed', { timeout: 90_000 }, async () => {
    const script = firstOrderScript();

    const [placed, read] = await bash(script);
    expect(placed).toEqual({
      data: {
        placeOrder: {
          __typename: 'PlaceOrderPayload',
          orderId: expect.any(String),
          streamId: expect.stringMatching(/^order-/),
          version: 1,
          totalCents: 2900,
          replayed: false,
        },
      },
    });
    const orderId = placed!.data.placeOrder!.orderId as string;
    expect(read).toEqual({
      data: {
        order: {
          orderId,
          status: 'PLACED',
          totalCents: 2900,
          lines: [{ productId: 'sku-stoneware-mug', quantity: 2, unitPriceCents: 1450 }],
        },
      },
    });

    // Pasting the block again: the idempotency key answers with the same order and appends nothing.
    const [again, readAgain] = await bash(script);
    expect(again!.data.placeOrder).toMatchObject({ orderId, replayed: true });
    expect(readAgain!.data.order).toMatchObject({ orderId, status: 'PLACED' });
    expect(await pipeline.store.readStream(`order-${orderId}`)).toHaveLength(1);
  });

  it("shows the order placed in GraphiQL's second tab on the subscription of its first tab", { timeout: 60_000 }, async () => {
    const [subscription, mutation] = fencedBlocks('README.md', README, 'graphql').map((block) => block.text);
    expect(subscription).toContain(`customerOrders(customerId: "${ADA.customerId}")`);
    expect(mutation).toContain('placeOrder(');
    const headers = await asAda();

    type History = { customerOrders: { orders: { edges: Array<{ node: { orderId: string; status: string } }> } } };
    const live = subscribeOverSse<History>(pipeline.httpUrl, subscription!, {}, headers);
    try {
      await live.next((result) => result.data?.customerOrders !== undefined);
      const { data, errors } = await graphql<{ placeOrder: { __typename: string; orderId: string } }>(pipeline.api, mutation!, {}, headers);
      expect(errors).toBeUndefined();
      expect(data?.placeOrder.__typename).toBe('PlaceOrderPayload');
      const orderId = data!.placeOrder.orderId;
      await live.next((result) => result.data?.customerOrders.orders.edges.some(({ node }) => node.orderId === orderId) ?? false);
      expect(live.results.every((result) => result.errors === undefined)).toBe(true);
    } finally {
      live.close();
    }
  });
});
