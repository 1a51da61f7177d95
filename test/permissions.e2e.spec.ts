/**
 * The permission matrix: every root field of the schema (query, mutation, subscription), tried by every kind
 * of caller (anonymous, a customer on their own data, the same customer on another customer's data, catalog,
 * fulfilment and operator staff) over HTTP (POST, and SSE for subscriptions) and over WebSocket, with real
 * ID tokens from the Auth emulator against the API on the Firestore emulator. Every outcome is asserted.
 *
 * The matrix is checked against the schema itself: a root field added without a row here fails the first
 * test, and one added without a rule cannot even build the schema (authScopes.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PubSub } from '@google-cloud/pubsub';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { firestoreApiDeps } from '../src/apiDeps.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { fieldsWithoutARule } from '../src/graphql/authScopes.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { schema } from '../src/graphql/schema/index.ts';
import { attachWebSocket } from '../src/graphql/webSocket.ts';
import { createLogger } from '../src/logger.ts';
import { projections } from '../src/projections/all.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { asCustomer, asStaff, testTokens } from './support/identities.ts';
import { orderInput, setUpShop } from './support/orders.ts';
import { graphql } from './support/pipeline.ts';

type Persona = 'anonymous' | 'customerOwn' | 'customerOther' | 'catalog' | 'fulfilment' | 'operator';
type Outcome = 'allowed' | 'AUTH.UNAUTHENTICATED' | 'AUTH.FORBIDDEN';
const PERSONAS: readonly Persona[] = ['anonymous', 'customerOwn', 'customerOther', 'catalog', 'fulfilment', 'operator'];

/** The world the operations run against: two customers, each with an order, and a product. */
interface World {
  readonly a: string;
  readonly b: string;
  readonly orderOf: Readonly<Record<string, string>>;
}

interface Case {
  readonly operation: string;
  /** The variables aimed at `customer`'s data: customer A's for everyone but `customerOther`, who aims at B's. */
  readonly variables: (world: World, customer: string) => Record<string, unknown>;
  /** Who may: the personas whose outcome is `allowed`; everyone else is refused (unauthenticated if anonymous). */
  readonly allowed: readonly Persona[];
}

const ALL: readonly Persona[] = PERSONAS;
const STAFF_THAT_SERVE_CUSTOMERS: readonly Persona[] = ['fulfilment', 'operator'];
const OWNER_OR_SERVICE: readonly Persona[] = ['customerOwn', ...STAFF_THAT_SERVE_CUSTOMERS];
const none = () => ({});
const product = (suffix: string) => `sku-perm-${suffix}`;

const QUERIES: Readonly<Record<string, Case>> = {
  customer: {
    operation: 'query ($id: ID!) { customer(customerId: $id) { customerId email } }',
    variables: (_w, customer) => ({ id: customer }),
    allowed: OWNER_OR_SERVICE,
  },
  customerOrders: {
    operation: 'query ($id: ID!) { customerOrders(customerId: $id) { customerId name email orderCount } }',
    variables: (_w, customer) => ({ id: customer }),
    allowed: OWNER_OR_SERVICE,
  },
  customers: {
    operation: '{ customers(first: 5) { edges { node { customerId email } } } }',
    variables: none,
    allowed: STAFF_THAT_SERVE_CUSTOMERS,
  },
  deadLetters: { operation: '{ deadLetters(first: 5) { edges { node { id } } } }', variables: none, allowed: ['operator'] },
  order: {
    operation: 'query ($id: ID!) { order(orderId: $id) { orderId customer { email } } }',
    variables: (w, customer) => ({ id: w.orderOf[customer] }),
    allowed: OWNER_OR_SERVICE,
  },
  product: { operation: `{ product(productId: "${product('kettle')}") { id name available } }`, variables: none, allowed: ALL },
  products: { operation: '{ products(first: 3) { edges { node { id } } } }', variables: none, allowed: ALL },
  projections: { operation: '{ projections { readModel lagSeconds } }', variables: none, allowed: ['operator'] },
  salesDashboard: { operation: '{ salesDashboard(days: 1) { summary { orders revenueCents } } }', variables: none, allowed: ['operator'] },
  streamHistory: {
    operation: 'query ($stream: String!) { streamHistory(streamId: $stream, first: 5) { edges { node { type actor } } } }',
    variables: (_w, customer) => ({ stream: `customer-${customer}` }),
    allowed: ['operator'],
  },
};

const result = '{ __typename }';
const MUTATIONS: Readonly<Record<string, Case>> = {
  addProduct: {
    operation: `mutation ($input: AddProductInput!) { addProduct(input: $input) ${result} }`,
    variables: () => ({ input: { productId: product(`new-${randomUUID().slice(0, 8)}`), name: 'New', priceCents: 100 } }),
    allowed: ['catalog'],
  },
  changeProductPrice: {
    operation: `mutation ($input: ChangeProductPriceInput!) { changeProductPrice(input: $input) ${result} }`,
    variables: () => ({ input: { productId: product('kettle'), priceCents: 2600 } }),
    allowed: ['catalog'],
  },
  restockProduct: {
    operation: `mutation ($input: RestockProductInput!) { restockProduct(input: $input) ${result} }`,
    variables: () => ({ input: { productId: product('kettle'), quantity: 1 } }),
    allowed: ['catalog'],
  },
  discontinueProduct: {
    operation: `mutation ($input: DiscontinueProductInput!) { discontinueProduct(input: $input) ${result} }`,
    variables: () => ({ input: { productId: product('retired') } }),
    allowed: ['catalog'],
  },
  registerCustomer: {
    operation: `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) ${result} }`,
    variables: (_w, customer) => ({ input: { customerId: customer, name: 'Someone', email: `${customer}@example.com` } }),
    allowed: ['customerOwn'],
  },
  changeCustomerDetails: {
    operation: `mutation ($input: ChangeCustomerDetailsInput!) { changeCustomerDetails(input: $input) ${result} }`,
    variables: (_w, customer) => ({ input: { customerId: customer, name: 'Renamed', email: `${customer}@example.org` } }),
    allowed: ['customerOwn'],
  },
  placeOrder: {
    operation: `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) ${result} }`,
    variables: (_w, customer) => ({ input: { customerId: customer, lines: [{ productId: product('kettle'), quantity: 1 }] } }),
    allowed: ['customerOwn'],
  },
  confirmOrderPayment: {
    operation: `mutation ($input: ConfirmOrderPaymentInput!) { confirmOrderPayment(input: $input) ${result} }`,
    variables: (w, customer) => ({ input: { orderId: w.orderOf[customer], paymentReference: 'psp-perm' } }),
    allowed: ['customerOwn', 'fulfilment'],
  },
  shipOrder: {
    operation: `mutation ($input: ShipOrderInput!) { shipOrder(input: $input) ${result} }`,
    variables: (w, customer) => ({ input: { orderId: w.orderOf[customer] } }),
    allowed: ['fulfilment'],
  },
  cancelOrder: {
    operation: `mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) ${result} }`,
    variables: (w, customer) => ({ input: { orderId: w.orderOf[customer] } }),
    allowed: ['customerOwn', 'fulfilment'],
  },
  redriveDeadLetter: { operation: `mutation { redriveDeadLetter(id: "nope") ${result} }`, variables: none, allowed: ['operator'] },
  skipDeadLetter: { operation: `mutation { skipDeadLetter(id: "nope") ${result} }`, variables: none, allowed: ['operator'] },
  // Last of the mutations: it forgets customer A for good (idempotently), and every row after it still answers.
  forgetCustomer: {
    operation: `mutation ($id: ID!) { forgetCustomer(customerId: $id) ${result} }`,
    variables: (_w, customer) => ({ id: customer }),
    allowed: ['customerOwn', 'operator'],
  },
};

const SUBSCRIPTIONS: Readonly<Record<string, Case>> = {
  customerOrders: {
    operation: 'subscription ($id: ID!) { customerOrders(customerId: $id) { customerId email } }',
    variables: (_w, customer) => ({ id: customer }),
    allowed: OWNER_OR_SERVICE,
  },
  lowStockAlerts: { operation: 'subscription { lowStockAlerts { id } }', variables: none, allowed: ['catalog', 'operator'] },
  orderStatus: {
    operation: 'subscription ($id: ID!) { orderStatus(orderId: $id) { orderId status } }',
    variables: (w, customer) => ({ id: w.orderOf[customer] }),
    allowed: OWNER_OR_SERVICE,
  },
  productInventory: {
    operation: `subscription { productInventory(productId: "${product('kettle')}") { id } }`,
    variables: none,
    allowed: ALL,
  },
  ordersAwaitingPayment: {
    operation: 'subscription { ordersAwaitingPayment(limit: 3) { orderId dueAt } }',
    variables: none,
    allowed: STAFF_THAT_SERVE_CUSTOMERS,
  },
  projectionLag: { operation: 'subscription { projectionLag { projection } }', variables: none, allowed: ['operator'] },
  recentOrders: {
    operation: 'subscription { recentOrders(limit: 3) { orderId customer { email } } }',
    variables: none,
    allowed: ['operator'],
  },
  salesDashboard: { operation: 'subscription { salesDashboard(days: 1) { summary { orders } } }', variables: none, allowed: ['operator'] },
};

const MATRIX = { Query: QUERIES, Mutation: MUTATIONS, Subscription: SUBSCRIPTIONS } as const;

// ---------------------------------------------------------------------------------------------------------

const db = testFirestore();
const pubsub = new PubSub({ projectId: uniqueProjectId('perm') });
const tokens = testTokens();
const api = createApi(
  firestoreApiDeps({
    db,
    readModels: new FirestoreReadModels(db),
    logger: createLogger({ level: 'silent' }),
    domainEventsTopic: pubsub.topic('eventloom-domain-events'),
    projections,
    tokens,
  }),
);
const server = createServer(api);
const webSocket = attachWebSocket(api, server, { tokens });
let httpUrl = '';
let wsUrl = '';
const world: { a: string; b: string; orderOf: Record<string, string> } = {
  a: `perm-a-${randomUUID().slice(0, 6)}`,
  b: `perm-b-${randomUUID().slice(0, 6)}`,
  orderOf: {},
};
const headersOf = new Map<Persona, Record<string, string>>();

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  httpUrl = `http://127.0.0.1:${port}/graphql`;
  wsUrl = `ws://127.0.0.1:${port}/graphql`;
  await setUpShop(api, [world.a, world.b]);
  const catalog = await asStaff('catalog');
  for (const id of [product('kettle'), product('retired')]) {
    await graphql(
      api,
      'mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename } }',
      {
        input: { productId: id, name: id, priceCents: 2500, initialStock: 1000 },
      },
      catalog,
    );
  }
  for (const customer of [world.a, world.b]) {
    const { data } = await graphql<{ placeOrder: { orderId: string } }>(
      api,
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { ... on PlaceOrderPayload { orderId } } }',
      { input: orderInput(customer) },
      await asCustomer(customer),
    );
    world.orderOf[customer] = data!.placeOrder.orderId;
  }
  headersOf.set('anonymous', {});
  headersOf.set('customerOwn', await asCustomer(world.a));
  headersOf.set('customerOther', await asCustomer(world.a));
  for (const role of ['catalog', 'fulfilment', 'operator'] as const) headersOf.set(role, await asStaff(role));
});

afterAll(async () => {
  await webSocket.close({ graceMs: 200 });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await Promise.all([db.terminate(), pubsub.close()]);
});

type Response = { data?: unknown; errors?: ReadonlyArray<{ message: string; extensions?: { code?: string } }> };

function outcomeOf(response: Response): Outcome | string {
  const code = response.errors?.[0]?.extensions?.code;
  if (code === 'AUTH.UNAUTHENTICATED' || code === 'AUTH.FORBIDDEN') return code;
  // Allowed means answered in full: a typed domain result counts (e.g. DeadLetterNotFound), an error does not.
  return response.errors ? `error: ${JSON.stringify(response.errors)}` : 'allowed';
}

function expected(testCase: Case): Record<Persona, Outcome> {
  return Object.fromEntries(
    PERSONAS.map((p) => [p, testCase.allowed.includes(p) ? 'allowed' : p === 'anonymous' ? 'AUTH.UNAUTHENTICATED' : 'AUTH.FORBIDDEN']),
  ) as Record<Persona, Outcome>;
}

const variablesFor = (testCase: Case, persona: Persona) => testCase.variables(world, persona === 'customerOther' ? world.b : world.a);

/** One operation over HTTP: a POST for queries and mutations, graphql-sse (first result) for subscriptions. */
async function overHttp(kind: keyof typeof MATRIX, testCase: Case, persona: Persona): Promise<Response> {
  const headers = headersOf.get(persona)!;
  const variables = variablesFor(testCase, persona);
  if (kind !== 'Subscription') {
    const response = await fetch(httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: testCase.operation, variables }),
    });
    return (await response.json()) as Response;
  }
  const client = createSseClient({ url: httpUrl, headers, retryAttempts: 0 });
  try {
    return await firstResult((sink) => client.subscribe({ query: testCase.operation, variables }, sink));
  } finally {
    client.dispose();
  }
}

/** One operation over a graphql-ws connection authenticated (or not) by its connection parameter. */
async function overWebSocket(testCase: Case, persona: Persona): Promise<Response> {
  const authorization = headersOf.get(persona)!.authorization;
  const client: Client = createWsClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : {},
  });
  try {
    return await firstResult((sink) => client.subscribe({ query: testCase.operation, variables: variablesFor(testCase, persona) }, sink));
  } finally {
    await client.dispose();
  }
}

function firstResult(
  subscribe: (sink: { next(value: unknown): void; error(error: unknown): void; complete(): void }) => () => void,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => reject(new Error('no result within 10 s')), 10_000);
    unsubscribe = subscribe({
      next: (value) => {
        clearTimeout(timer);
        resolve(value as Response);
        queueMicrotask(() => unsubscribe());
      },
      error: (error) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
      },
      complete: () => {},
    });
  });
}

describe('the permission matrix', () => {
  it('has a row for every root field of the schema, and every root field has a rule', () => {
    const inSchema = (type: keyof typeof MATRIX) => {
      const root = type === 'Query' ? schema.getQueryType() : type === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      return Object.keys(root!.getFields()).sort();
    };
    for (const type of Object.keys(MATRIX) as Array<keyof typeof MATRIX>) {
      expect(Object.keys(MATRIX[type]).sort(), `${type} fields without a row in the matrix`).toEqual(inSchema(type));
    }
    expect(fieldsWithoutARule(schema)).toEqual([]);
  });

  for (const kind of Object.keys(MATRIX) as Array<keyof typeof MATRIX>) {
    describe(kind, () => {
      for (const [field, testCase] of Object.entries(MATRIX[kind])) {
        it(`${field}: over HTTP${kind === 'Subscription' ? ' (SSE)' : ''}`, async () => {
          const outcomes: Record<string, Outcome | string> = {};
          for (const persona of PERSONAS) outcomes[persona] = outcomeOf(await overHttp(kind, testCase, persona));
          expect(outcomes).toEqual(expected(testCase));
        });
        it(`${field}: over WebSocket`, async () => {
          const outcomes: Record<string, Outcome | string> = {};
          for (const persona of PERSONAS) outcomes[persona] = outcomeOf(await overWebSocket(testCase, persona));
          expect(outcomes).toEqual(expected(testCase));
        });
      }
    });
  }
});
