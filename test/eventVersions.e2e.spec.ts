/**
 * Event schema versions over the real pipeline: events written raw at an old version are loaded
 * through the normal paths (the decider's load, the projector's push, the API) at the current version;
 * an event newer than the code becomes a dead letter instead of a crash loop.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../src/core/eventStore.ts';
import { FirestoreDeadLetters } from '../src/firestore/firestoreDeadLetters.ts';
import { inventoryCountProjection, type InventoryCount } from '../src/projections/inventoryCount.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { setUpShop } from './support/orders.ts';

const PLACE_ORDER_WITH_TOTAL = /* GraphQL */ `
  mutation ($input: PlaceOrderInput!) {
    placeOrder(input: $input) { __typename ... on PlaceOrderPayload { totalCents } ... on Error { code message } }
  }
`;

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(() => pipeline?.stop());

function raw(type: string, schemaVersion: number, data: object): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion,
    data,
    occurredAt: '2026-01-10T09:00:00.000Z',
    metadata: { correlationId: 'legacy-writer', causationId: null },
  };
}

describe('event schema versions', () => {
  it('serves v1 product events (money as a bare number) as v2 (amount plus currency) everywhere', async () => {
    const productId = `legacy-${randomUUID().slice(0, 8)}`;
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    // Written by the code of last year: schema version 1, price in plain cents.
    await pipeline.store.appendToStreams([
      {
        streamId: `product-${productId}`,
        expectedVersion: 0,
        events: [
          raw('ProductAdded', 1, { productId, name: 'Legacy lamp', priceCents: 1200, initialStock: 5, lowStockThreshold: 1 }),
          raw('ProductPriceChanged', 1, { productId, priceCents: 1500, previousPriceCents: 1200 }),
        ],
      },
    ]);
    const stored = await pipeline.store.readStream(`product-${productId}`);
    expect(stored.map((e) => e.schemaVersion)).toEqual([1, 1]);

    // The projector function received v1 payloads and projected v2.
    await expect
      .poll(async () => (await pipeline.readModels.get<InventoryCount>(inventoryCountProjection, productId))?.priceCents, {
        timeout: 20_000,
        interval: 100,
      })
      .toBe(1500);
    expect(await pipeline.readModels.get<InventoryCount>(inventoryCountProjection, productId)).toMatchObject({
      currency: 'EUR',
      available: 5,
    });

    // The order decider loaded the product through the versioned store: the v1 price, now in EUR.
    const { data } = await graphql<{ placeOrder: { __typename: string; totalCents: number } }>(
      pipeline.api,
      PLACE_ORDER_WITH_TOTAL,
      { input: { customerId, lines: [{ productId, quantity: 2 }] } },
      await asCustomer(customerId),
    );
    expect(data?.placeOrder).toMatchObject({ __typename: 'PlaceOrderPayload', totalCents: 3000 });
    // New events are written at the current version.
    const reservation = (await pipeline.store.readStream(`product-${productId}`)).at(-1);
    expect(reservation).toMatchObject({ type: 'StockReserved', schemaVersion: 1 });

    const product = await graphql<{ product: { priceCents: number; currency: string } }>(
      pipeline.api,
      'query ($id: ID!) { product(productId: $id) { priceCents currency } }',
      { id: productId },
    );
    expect(product.data?.product).toEqual({ priceCents: 1500, currency: 'EUR' });
  });

  it('dead-letters an event of a version newer than the code knows, instead of guessing or looping', async () => {
    const productId = `future-${randomUUID().slice(0, 8)}`;
    const { events } = await pipeline.store.appendToStreams([
      {
        streamId: `product-${productId}`,
        expectedVersion: 0,
        events: [raw('ProductAdded', 4, { productId, name: 'From the future', price: { amount: '9.99', currency: 'EUR' } })],
      },
    ]);
    const deadLetters = new FirestoreDeadLetters(pipeline.db);
    await expect
      .poll(
        async () =>
          (await deadLetters.list({ readModel: 'inventoryCount' })).deadLetters.some((d) => d.event?.eventId === events[0]!.eventId),
        { timeout: 45_000, interval: 250 },
      )
      .toBe(true);
    expect(await pipeline.readModels.get(inventoryCountProjection, productId)).toBeNull();

    // An operator redrives it (as after deploying code that knows v4): the same message goes out again,
    // and with this code it is refused again, as a new dead letter.
    const first = (await deadLetters.list({ readModel: 'inventoryCount' })).deadLetters.find(
      (d) => d.event?.eventId === events[0]!.eventId,
    )!;
    const REDRIVE =
      'mutation ($id: ID!) { redriveDeadLetter(id: $id) { __typename ... on DeadLetter { status resolvedBy } ... on Error { code } } }';
    const redriven = await graphql(pipeline.api, REDRIVE, { id: first.id }, await asStaff('operator'));
    expect(redriven).toEqual({
      data: { redriveDeadLetter: { __typename: 'DeadLetter', status: 'REDRIVEN', resolvedBy: 'staff-operator' } },
    });
    await expect
      .poll(
        async () =>
          (await deadLetters.list({ readModel: 'inventoryCount', status: 'PENDING' })).deadLetters.filter(
            (d) => d.event?.eventId === events[0]!.eventId,
          ).length,
        { timeout: 45_000, interval: 250 },
      )
      .toBe(1);
  }, 120_000);
});
