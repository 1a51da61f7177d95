/**
 * The read-side projector functions (inventory, recommendations, order details, sales dashboard),
 * reached the way Pub/Sub reaches them: an HTTP POST of the push envelope to each function's
 * functions-framework server, with the event store and the views on the Firestore emulator.
 * Each delivers events out of order (a gap the projector fills from the store) and again (duplicates). The
 * roll-up sweep, which Cloud Scheduler calls, is reached the same way.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent, EventEnvelope } from '../src/core/eventStore.ts';
import { stockBucketStreamId } from '../src/catalog/productEvents.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { viewPartsOf } from '../src/firestore/viewRollUp.ts';
import { inventoryCountProjection, type InventoryCount } from '../src/projections/inventoryCount.ts';
import { orderDetailsProjection, type OrderDetails } from '../src/projections/orderDetails.ts';
import { boughtTogether, recommendationsProjection, type Recommendations } from '../src/projections/recommendations.ts';
import { SALES_SUMMARY_ID, salesDashboardProjection, salesDayId, type SalesFigures } from '../src/projections/salesDashboard.ts';
import { toEventMessage } from '../src/pubsub/eventMessage.ts';
import { append as appendAs } from './support/commits.ts';
import { project } from './support/envelopes.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import {
  line,
  orderCancelled,
  orderPaymentConfirmed,
  orderPlaced,
  orderShipped,
  productAdded,
  stockReservationReleased,
  stockReserved,
  T0,
} from './support/shopFixtures.ts';
import { checkpointsOf, viewsOf } from '../src/firestore/readModelLayout.ts';

const projectId = uniqueProjectId('readside');
process.env.GOOGLE_CLOUD_PROJECT = projectId;
process.env.LOG_LEVEL = 'silent';
await import('../functions/index.ts');

const FUNCTIONS = [
  'projectInventoryCount',
  'projectRecommendations',
  'projectOrderDetails',
  'projectSalesDashboard',
  'sweepRollUps',
] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const db = testFirestore(projectId);
const store = new FirestoreEventStore(db);
const readModels = new FirestoreReadModels(db);
const servers = new Map<FunctionName, { server: Server; endpoint: string }>();

beforeAll(async () => {
  for (const name of FUNCTIONS) {
    const server = getTestServer(name);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.set(name, { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await new Promise((resolve) => server.close(resolve));
  await db.terminate();
});

async function deliver(name: FunctionName, event: EventEnvelope): Promise<void> {
  const message = toEventMessage(event);
  const response = await fetch(servers.get(name)!.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      subscription: `projects/${projectId}/subscriptions/projector-${name}`,
      message: {
        data: message.data.toString('base64'),
        attributes: message.attributes,
        messageId: randomUUID(),
        publishTime: new Date().toISOString(),
      },
    }),
  });
  expect(response.status).toBe(204);
}

/** Appends events as the write side does: one stream, one commit, stored envelopes returned. */
const append = (streamId: string, expectedVersion: number, events: DomainEvent[]) =>
  appendAs(store, streamId, expectedVersion, events, { occurredAt: T0 });

describe('projectInventoryCount (push envelope)', () => {
  it('fills a gap from the store, and ignores older and duplicate deliveries', async () => {
    const productId = `p-${randomUUID()}`;
    const events = await append(`product-${productId}`, 0, [
      productAdded(productId, 2500, 10),
      stockReserved(productId, 'o1', 3),
      stockReserved(productId, 'o2', 2),
      stockReservationReleased(productId, 'o1', 3),
    ]);
    await deliver('projectInventoryCount', events[0]!);
    await deliver('projectInventoryCount', events[2]!); // version 2 is missing: read from the store
    const afterGap = await readModels.get<InventoryCount>(inventoryCountProjection, productId);
    expect(afterGap).toMatchObject({ onHand: 10, reserved: 5, available: 5, lowStock: true, version: 3 });

    await deliver('projectInventoryCount', events[1]!); // older than the checkpoint
    await deliver('projectInventoryCount', events[2]!); // exact duplicate
    expect(await readModels.get(inventoryCountProjection, productId)).toEqual(afterGap);

    await deliver('projectInventoryCount', events[3]!);
    expect(await readModels.get(inventoryCountProjection, productId)).toMatchObject({
      reserved: 2,
      available: 8,
      lowStock: false,
      version: 4,
    });
  });
});

describe('projectInventoryCount for a product whose stock is split over buckets', () => {
  it('writes each bucket to a shard of its own, reads them merged, and keeps the summary queries select by only as the product turns low or recovers', async () => {
    const productId = `p-${randomUUID()}`;
    const [added] = await append(`product-${productId}`, 0, [productAdded(productId, 2500, 12, 'Teapot', 4)]);
    const bucket = (k: number) => stockBucketStreamId(productId, k);
    const [b0r1, b0r2] = await append(bucket(0), 0, [stockReserved(productId, 'o1', 2), stockReserved(productId, 'o2', 1)]);
    const [b3r3, b3x3] = await append(bucket(3), 0, [stockReserved(productId, 'o3', 3), stockReservationReleased(productId, 'o3', 3)]);
    const [b1r4] = await append(bucket(1), 0, [stockReserved(productId, 'o4', 4)]);
    const all = [added!, b0r1!, b0r2!, b3r3!, b3x3!, b1r4!];

    const documents = async () =>
      (await viewsOf(db, readModelCollectionName(inventoryCountProjection)).get()).docs.filter((d) => d.id.startsWith(productId));
    const summary = () => viewsOf(db, readModelCollectionName(inventoryCountProjection)).doc(productId).get();
    const lowStock = async () =>
      (await readModels.list(inventoryCountProjection, { first: 100, where: { lowStock: true } })).map((v) => v.id);

    // A bucket's events before the product stream's, and bucket 0's second event first (its first is a gap).
    await deliver('projectInventoryCount', b0r2!);
    await deliver('projectInventoryCount', b3r3!);
    await deliver('projectInventoryCount', added!);
    expect(await readModels.get(inventoryCountProjection, productId)).toMatchObject({
      onHand: 12,
      reserved: 6,
      available: 6,
      lowStock: false,
      version: 1,
    });
    expect(await lowStock()).not.toContain(productId);
    expect((await summary()).data()).toEqual({ lowStock: false, availableWhileLow: null, viewSummary: true });

    // A reservation that takes it down to its threshold turns it low: its summary changes, the query finds it.
    await deliver('projectInventoryCount', b1r4!);
    expect(await readModels.get(inventoryCountProjection, productId)).toMatchObject({ reserved: 10, available: 2, lowStock: true });
    expect(await lowStock()).toContain(productId);
    expect((await summary()).data()).toEqual({ lowStock: true, availableWhileLow: 2, viewSummary: true });

    // Duplicates and older deliveries change nothing; a release while low changes the units left in the summary.
    await deliver('projectInventoryCount', b0r1!);
    await deliver('projectInventoryCount', b3r3!);
    await deliver('projectInventoryCount', b3x3!);
    const view = await readModels.get<InventoryCount>(inventoryCountProjection, productId);
    expect(view).toEqual(project(inventoryCountProjection, all)[productId]);
    expect(view).toMatchObject({ reserved: 7, available: 5, lowStock: true });
    expect((await summary()).data()).toEqual({ lowStock: true, availableWhileLow: 5, viewSummary: true });
    await deliver('projectInventoryCount', b3x3!);
    expect(await readModels.get(inventoryCountProjection, productId)).toEqual(view);

    // One document per stream: the catalog shard and one per bucket, beside the summary.
    expect((await documents()).map((d) => d.id).sort()).toEqual([
      productId,
      `${productId}~00`,
      `${productId}~01`,
      `${productId}~02`,
      `${productId}~04`,
    ]);
  });

  it('leaves an unchanged summary unwritten', async () => {
    const productId = `p-${randomUUID()}`;
    const [added] = await append(`product-${productId}`, 0, [productAdded(productId, 2500, 100, 'Cup', 2)]);
    const reservations = await append(stockBucketStreamId(productId, 1), 0, [
      stockReserved(productId, 'o1', 1),
      stockReserved(productId, 'o2', 1),
    ]);
    await deliver('projectInventoryCount', added!);
    const summary = viewsOf(db, readModelCollectionName(inventoryCountProjection)).doc(productId);
    const writtenAt = (await summary.get()).updateTime;
    for (const event of reservations) await deliver('projectInventoryCount', event);
    expect((await readModels.get(inventoryCountProjection, productId))?.reserved).toBe(2);
    expect((await summary.get()).updateTime).toEqual(writtenAt);
  });
});

describe('projectOrderDetails (push envelope)', () => {
  it('builds the whole order from its last event when the earlier ones were not delivered, once', async () => {
    const orderId = `o-${randomUUID()}`;
    const lines = [line('kettle', 2, 2500), line('mug', 1, 900)];
    const events = await append(`order-${orderId}`, 0, [
      orderPlaced(orderId, 'c1', lines),
      orderPaymentConfirmed(orderId, 'c1', 5900, { paymentReference: 'pay-7' }),
      orderShipped(orderId, 'c1', lines),
    ]);
    await deliver('projectOrderDetails', events[2]!);
    const view = await readModels.get<OrderDetails>(orderDetailsProjection, orderId);
    expect(view).toMatchObject({ status: 'SHIPPED', totalCents: 5900, paymentReference: 'pay-7', version: 3 });
    expect(view?.timeline.map((s) => s.status)).toEqual(['PLACED', 'PAID', 'SHIPPED']);
    expect(view?.lines.map((l) => l.lineTotalCents)).toEqual([5000, 900]);

    for (const event of events) await deliver('projectOrderDetails', event);
    expect(await readModels.get(orderDetailsProjection, orderId)).toEqual(view);
  });
});

describe('projectRecommendations (push envelope)', () => {
  it('counts a redelivered order once, and a cancellation delivered first takes back the order it fills in', async () => {
    const [a, b, c] = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];
    const first = `o-${randomUUID()}`;
    const second = `o-${randomUUID()}`;
    const firstEvents = await append(`order-${first}`, 0, [orderPlaced(first, 'c1', [line(a, 1, 100), line(b, 1, 100)])]);
    const secondLines = [line(a, 1, 100), line(c, 1, 100)];
    const secondEvents = await append(`order-${second}`, 0, [
      orderPlaced(second, 'c1', secondLines),
      orderCancelled(second, 'c1', secondLines, 'PLACED'),
    ]);

    await deliver('projectRecommendations', firstEvents[0]!);
    await deliver('projectRecommendations', firstEvents[0]!);
    const recommendations = (id: string) => readModels.get<Recommendations>(recommendationsProjection, id);
    expect(boughtTogether((await recommendations(a))!, a, 5)).toEqual([{ productId: b, count: 1 }]);
    expect(boughtTogether((await recommendations(b))!, b, 5)).toEqual([{ productId: a, count: 1 }]);

    // Only the cancellation is delivered: the placement is filled in from the store, then taken back.
    await deliver('projectRecommendations', secondEvents[1]!);
    await deliver('projectRecommendations', secondEvents[0]!);
    expect((await recommendations(a))!.counts).toEqual({ [a]: 1, [b]: 1 });
    expect((await recommendations(c))!.counts).toEqual({});
  });
});

describe('a projector pushed only the types it reads (subscription filters)', () => {
  it('acknowledges an ignored type without a write, and passes over ignored versions once when it fills the gap they leave', async () => {
    const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const orderId = `o-${randomUUID()}`;
    const lines = [line(a, 1, 100), line(b, 1, 100)];
    const events = await append(`order-${orderId}`, 0, [
      orderPlaced(orderId, 'c1', lines),
      orderPaymentConfirmed(orderId, 'c1', 200),
      orderCancelled(orderId, 'c1', lines, 'PAID'),
    ]);
    const checkpoint = async () =>
      (await checkpointsOf(db, readModelCollectionName(recommendationsProjection)).doc(`order-${orderId}`).get()).get('version');

    await deliver('projectRecommendations', events[0]!);
    // Recommendations do not read payments: in the cloud the filter keeps it away; pushed anyway, it costs nothing.
    await deliver('projectRecommendations', events[1]!);
    expect(await checkpoint()).toBe(1);
    // Version 2 is a gap to the cancellation: read from the store, passed over, and the checkpoint moves past it.
    await deliver('projectRecommendations', events[2]!);
    expect(await checkpoint()).toBe(3);
    expect((await readModels.get<Recommendations>(recommendationsProjection, a))!.counts).toEqual({});
    // Nothing is left to fill: a late payment delivery is older than the checkpoint.
    await deliver('projectRecommendations', events[1]!);
    expect(await checkpoint()).toBe(3);
  });
});

describe('projectSalesDashboard (push envelope)', () => {
  it('updates the summary and the placement day once per event, filling gaps', async () => {
    const orderId = `o-${randomUUID()}`;
    const lines = [line('kettle', 2, 2500)];
    const events = await append(`order-${orderId}`, 0, [
      orderPlaced(orderId, 'c1', lines),
      orderPaymentConfirmed(orderId, 'c1', 5000),
      orderCancelled(orderId, 'c1', lines, 'PAID'),
    ]);
    const summary = () => readModels.get<SalesFigures>(salesDashboardProjection, SALES_SUMMARY_ID);
    const day = () => readModels.get<SalesFigures>(salesDashboardProjection, salesDayId(T0.slice(0, 10)));

    await deliver('projectSalesDashboard', events[1]!); // fills in the placement
    await deliver('projectSalesDashboard', events[0]!);
    await deliver('projectSalesDashboard', events[1]!);
    const paid = { orders: 1, revenueCents: 5000, units: 2, ordersByStatus: { PLACED: 0, PAID: 1, SHIPPED: 0, CANCELLED: 0 } };
    expect(await summary()).toMatchObject(paid);
    expect(await day()).toMatchObject(paid);

    await deliver('projectSalesDashboard', events[2]!);
    await deliver('projectSalesDashboard', events[2]!);
    const cancelled = {
      orders: 0,
      revenueCents: 0,
      units: 0,
      ordersByStatus: { PLACED: 0, PAID: 0, SHIPPED: 0, CANCELLED: 1 },
      perProduct: {},
    };
    expect(await summary()).toMatchObject(cancelled);
    expect(await day()).toMatchObject(cancelled);

    // What the projector left pending (it rolls a shard up at most once a second), the scheduled sweep folds,
    // save shards rolled up less than a second ago, which it leaves to the next sweep: the figures stay the same.
    const pending = viewPartsOf(db, readModelCollectionName(salesDashboardProjection)).where('pending', '==', true);
    const before = (await pending.get()).size;
    const response = await fetch(servers.get('sweepRollUps')!.endpoint, { method: 'POST' });
    expect(response.status).toBe(200);
    const { salesDashboard: swept } = (await response.json()) as { salesDashboard: { shards: number; folded: number } };
    expect(swept.folded).toBe(before - (await pending.get()).size);
    expect(await summary()).toMatchObject(cancelled);
    expect(await day()).toMatchObject(cancelled);
  });
});
