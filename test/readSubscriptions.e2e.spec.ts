/**
 * The read side's live subscriptions over the whole pipeline on the emulators: mutations over HTTP →
 * events + outbox → relay → Pub/Sub → projector functions → views → Firestore listeners → GraphQL
 * subscriptions, seen over SSE and WebSocket. The sales dashboard, which sums every order of the shop, has a
 * file and a pipeline of its own (salesDashboardSubscription.e2e.spec.ts), so its figures can be exact.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import { asCustomer, asIssuerOf, asStaff } from './support/identities.ts';
import { graphql, pipelineReleasingListeners, type Pipeline } from './support/pipeline.ts';
import { PLACE_ORDER } from './support/orders.ts';
import { subscribeOverSse, subscribeOverWebSocket, type Subscription } from './support/subscriptions.ts';

const ADD_PRODUCT = /* GraphQL */ `
  mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename ... on Error { code message } } }
`;
const REGISTER_CUSTOMER = /* GraphQL */ `
  mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename ... on Error { code message } } }
`;
const RESTOCK = /* GraphQL */ `
  mutation ($input: RestockProductInput!) { restockProduct(input: $input) { __typename ... on Error { code message } } }
`;
const CONFIRM_PAYMENT = /* GraphQL */ `
  mutation ($input: ConfirmOrderPaymentInput!) { confirmOrderPayment(input: $input) { __typename ... on Error { code message } } }
`;
const SHIP = /* GraphQL */ `
  mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { __typename ... on Error { code message } } }
`;

type Product = { id: string; name: string; onHand: number; reserved: number; available: number; lowStock: boolean };
const PRODUCT_FIELDS = 'id name onHand reserved available lowStock';

let pipeline: Pipeline;
pipelineReleasingListeners((started) => {
  pipeline = started;
});

async function mutate(query: string, input: Record<string, unknown>, expected: string): Promise<Record<string, unknown>> {
  const mutation = /\{\s*(\w+)\s*\(/.exec(query)?.[1] ?? '';
  const { data, errors } = await graphql<Record<string, Record<string, unknown>>>(
    pipeline.api,
    query,
    { input },
    await asIssuerOf(mutation, input),
  );
  expect(errors).toBeUndefined();
  const result = Object.values(data ?? {})[0]!;
  expect(result.__typename, JSON.stringify(result)).toBe(expected);
  return result;
}

async function addProduct(productId: string, initialStock: number, priceCents = 1000): Promise<void> {
  await mutate(
    ADD_PRODUCT,
    { productId, name: `Product ${productId}`, priceCents, initialStock, lowStockThreshold: 5 },
    'ProductCommandPayload',
  );
}

async function registerCustomer(customerId: string): Promise<void> {
  await mutate(REGISTER_CUSTOMER, { customerId, name: 'Grace', email: `${customerId}@example.com` }, 'CustomerCommandPayload');
}

async function placeOrder(customerId: string, lines: Array<{ productId: string; quantity: number }>): Promise<string> {
  return (await mutate(PLACE_ORDER, { customerId, lines }, 'PlaceOrderPayload')).orderId as string;
}

async function closing<T>(subscriptions: Array<Subscription<unknown>>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    for (const s of subscriptions) s.close();
  }
}

describe('read-side subscriptions, end to end', () => {
  it('productInventory (SSE) follows a product as it is added and its stock reserved', async () => {
    const productId = `p-${randomUUID()}`;
    const customerId = `c-${randomUUID()}`;
    const inventory = subscribeOverSse<{ productInventory: Product | null }>(
      pipeline.httpUrl,
      `subscription ($id: ID!) { productInventory(productId: $id) { ${PRODUCT_FIELDS} } }`,
      { id: productId },
    );
    await closing([inventory], async () => {
      await inventory.next((r) => r.data !== undefined && r.data?.productInventory === null);
      await Promise.all([addProduct(productId, 8), registerCustomer(customerId)]);
      await inventory.next((r) => r.data?.productInventory?.available === 8);

      await placeOrder(customerId, [{ productId, quantity: 2 }]);
      const reserved = await inventory.next((r) => r.data?.productInventory?.reserved === 2);
      expect(reserved.errors).toBeUndefined();
      expect(reserved.data?.productInventory).toEqual({
        id: productId,
        name: `Product ${productId}`,
        onHand: 8,
        reserved: 2,
        available: 6,
        lowStock: false,
      });
    });
  });

  it('lowStockAlerts (WebSocket) reports a product as it falls to its threshold, and again when restocked', async () => {
    const productId = `p-${randomUUID()}`;
    const customerId = `c-${randomUUID()}`;
    await Promise.all([addProduct(productId, 7), registerCustomer(customerId)]);
    const alerts = subscribeOverWebSocket<{ lowStockAlerts: Product[] }>(
      pipeline.wsUrl,
      `subscription { lowStockAlerts { ${PRODUCT_FIELDS} } }`,
      {},
      await asStaff('catalog'),
    );
    const ours = (r: { data?: { lowStockAlerts: Product[] } | null }) => r.data?.lowStockAlerts.find((p) => p.id === productId);
    const about = (predicate: (p: Product) => boolean) => (r: { data?: { lowStockAlerts: Product[] } | null }) => {
      const product = ours(r);
      return product !== undefined && predicate(product);
    };
    await closing([alerts], async () => {
      await placeOrder(customerId, [{ productId, quantity: 2 }]); // 5 available: at the threshold
      const low = await alerts.next(about((p) => p.lowStock));
      expect(ours(low)).toMatchObject({ available: 5, reserved: 2, lowStock: true });

      await mutate(RESTOCK, { productId, quantity: 10 }, 'ProductCommandPayload');
      // The restock is shared out over the product's stock buckets, each projected on its own: the alert clears
      // as soon as the product is above its threshold, which may be before the last bucket's share is counted.
      const recovered = await alerts.next(about((p) => !p.lowStock));
      expect(ours(recovered)).toMatchObject({ reserved: 2, lowStock: false });
      expect(ours(recovered)!.available).toBeGreaterThan(5);
      expect(ours(recovered)!.available).toBeLessThanOrEqual(15);
    });
  });

  it('orderStatus (WebSocket) follows an order from placed to paid to shipped, with its lines', async () => {
    const productId = `p-${randomUUID()}`;
    const customerId = `c-${randomUUID()}`;
    await Promise.all([addProduct(productId, 100, 1250), registerCustomer(customerId)]);
    // The lines' products come from another read model, kept by another projector on its own time.
    await vi.waitFor(async () => expect(await pipeline.readModels.get(inventoryCountProjection, productId)).not.toBeNull(), {
      timeout: 20_000,
      interval: 50,
    });
    const orderId = await placeOrder(customerId, [{ productId, quantity: 4 }]);
    type Order = {
      orderId: string;
      status: string;
      totalCents: number;
      paymentReference: string | null;
      lines: Array<{ quantity: number; lineTotalCents: number; product: { name: string } | null }>;
      timeline: Array<{ status: string }>;
    };
    const status = subscribeOverWebSocket<{ orderStatus: Order | null }>(
      pipeline.wsUrl,
      /* GraphQL */ `
        subscription ($id: ID!) {
          orderStatus(orderId: $id) {
            orderId status totalCents paymentReference
            lines { quantity lineTotalCents product { name } }
            timeline { status }
          }
        }
      `,
      { id: orderId },
      await asCustomer(customerId),
    );
    const reached = (s: string) => (r: { data?: { orderStatus: Order | null } | null }) => r.data?.orderStatus?.status === s;
    await closing([status], async () => {
      const placed = await status.next(reached('PLACED'));
      expect(placed.data?.orderStatus).toMatchObject({
        orderId,
        totalCents: 5000,
        paymentReference: null,
        lines: [{ quantity: 4, lineTotalCents: 5000, product: { name: `Product ${productId}` } }],
      });

      await mutate(CONFIRM_PAYMENT, { orderId, paymentReference: 'pay-e2e' }, 'OrderCommandPayload');
      const paid = await status.next(reached('PAID'));
      expect(paid.data?.orderStatus?.paymentReference).toBe('pay-e2e');

      await mutate(SHIP, { orderId }, 'OrderCommandPayload');
      const shipped = await status.next(reached('SHIPPED'));
      expect(shipped.data?.orderStatus?.timeline.map((t) => t.status)).toEqual(['PLACED', 'PAID', 'SHIPPED']);
    });
  });
});
