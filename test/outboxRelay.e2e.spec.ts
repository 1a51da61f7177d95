/**
 * Reliable publication: whatever moment the API process dies at, a restarted relay brings the read
 * models to exactly the state they would have had if nothing had happened.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FieldPath } from '@google-cloud/firestore';
import { envelopeFromDocument } from '../src/firestore/eventDocument.ts';
import { EVENTS, PENDING } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector, readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { toEventMessage } from '../src/pubsub/eventMessage.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { asCustomer } from './support/identities.ts';
import { DOMAIN_EVENTS_TOPIC, graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { viewsOf } from '../src/firestore/readModelLayout.ts';

let pipeline: Pipeline;
beforeAll(async () => {
  // The API "died" right after committing: no relay is running.
  pipeline = await startPipeline({ startRelay: false });
});
afterAll(() => pipeline?.stop());

/** The events still marked for publication, in commit order: each event document is its own outbox entry. */
const pendingEvents = async () =>
  (await pipeline.db.collectionGroup(EVENTS).where(PENDING, '==', true).orderBy('recordedAt').orderBy(FieldPath.documentId()).get()).docs;
const history = (customerId: string) => pipeline.readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customerId);

async function placeOrders(customerId: string, count: number): Promise<string[]> {
  await setUpShop(pipeline.api, [customerId]);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { data } = await graphql<{ placeOrder: { orderId: string } }>(
      pipeline.api,
      PLACE_ORDER,
      { input: orderInput(customerId) },
      await asCustomer(customerId),
    );
    ids.push(data!.placeOrder.orderId);
  }
  return ids;
}

describe('outbox relay recovery', () => {
  it('publishes what a dead relay left behind, and the read model ends up complete', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderIds = await placeOrders(customerId, 3);

    // Committed but never published: the events are safe, still marked pending; the view knows nothing yet.
    // The two products and the customer added by setUpShop, and the three orders, each of which placed the
    // order and reserved stock of both products: 3 + 3 × 3 events.
    expect(await pendingEvents()).toHaveLength(12);
    expect(await history(customerId)).toBeNull();

    // A new API instance starts its relay.
    pipeline.relay = pipeline.newRelay();
    pipeline.relay.start();

    await expect.poll(async () => (await history(customerId))?.orderCount, { timeout: 20_000, interval: 50 }).toBe(3);
    expect(Object.keys((await history(customerId))!.orders).sort()).toEqual([...orderIds].sort());
    await expect.poll(async () => (await pendingEvents()).length, { timeout: 10_000 }).toBe(0);
    await pipeline.relay.stop();
  });

  it('republishes after a crash between publish and mark-done; the projector sees each copy and ignores the second', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderIds = await placeOrders(customerId, 2);
    // The customer's registration and the two orders with their stock reservations (the products were added
    // by the first test).
    const pending = await pendingEvents();
    expect(pending).toHaveLength(1 + 2 * 3);
    const events = pending.map((doc) => envelopeFromDocument(doc.data()));
    const topic = pipeline.pubsub.topic(DOMAIN_EVENTS_TOPIC, { messageOrdering: true });

    // How many copies of each of these events the customer order history projector has taken (answered 2xx),
    // as seen on its own push subscription.
    const taken = () =>
      events.map(
        (event) =>
          pipeline.deliveries('projectCustomerOrderHistory').filter((d) => d.eventId === event.eventId && d.status >= 200 && d.status < 300)
            .length,
      );

    // A relay publishes every pending event and dies before clearing their markers.
    for (const event of events) await topic.publishMessage(toEventMessage(event));
    await vi.waitFor(() => expect(taken()).toEqual(events.map(() => 1)), { timeout: 20_000, interval: 50 });
    expect((await history(customerId))?.orderCount).toBe(2);
    const target = readModelCollectionName(customerOrderHistoryProjection);
    const projector = new FirestoreProjector(pipeline.db, pipeline.store);
    // The streams with events this projection reads: it acknowledges the others (stock buckets) without writing.
    const read = new Set<string>(customerOrderHistoryProjection.eventTypes);
    const streams = [...new Set(events.filter((e) => read.has(e.type)).map((e) => e.streamId))];
    // What the projector wrote for these events: the view and a checkpoint per stream, each with its update time.
    const written = async () => {
      const [view, ...checkpoints] = await Promise.all([
        viewsOf(pipeline.db, target).doc(customerId).get(),
        ...streams.map((streamId) => projector.checkpointRef(target, streamId).get()),
      ]);
      return {
        view: { data: view.data(), updateTime: view.updateTime?.valueOf() },
        checkpoints: checkpoints.map((c) => ({ version: c.get('version') as number, updateTime: c.updateTime?.valueOf() })),
      };
    };
    const settled = await written();
    expect(settled.checkpoints.map((c) => c.version)).toEqual(
      streams.map((streamId) => Math.max(...events.filter((e) => e.streamId === streamId).map((e) => e.version))),
    );
    expect((await pendingEvents()).length).toBe(events.length);

    // The next relay publishes the same events again.
    pipeline.relay = pipeline.newRelay();
    expect(await pipeline.relay.drain()).toBe(events.length);
    expect((await pendingEvents()).length).toBe(0);

    // The projector took every second copy too, and wrote nothing for it: not the view, not a checkpoint.
    await vi.waitFor(() => expect(taken()).toEqual(events.map(() => 2)), { timeout: 20_000, interval: 50 });
    expect(await written()).toEqual(settled);
    expect(Object.keys((await history(customerId))!.orders).sort()).toEqual([...orderIds].sort());
  });
});
