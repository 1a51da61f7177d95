/**
 * Reliable publication: whatever moment the API process dies at, a restarted relay brings the read
 * models to exactly the state they would have had if nothing had happened.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../src/core/eventStore.ts';
import { OUTBOX } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector, readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { toEventMessage } from '../src/pubsub/eventMessage.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { asCustomer } from './support/identities.ts';
import { DOMAIN_EVENTS_TOPIC, graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';

let pipeline: Pipeline;
beforeAll(async () => {
  // The API "died" right after committing: no relay is running.
  pipeline = await startPipeline({ startRelay: false });
});
afterAll(() => pipeline?.stop());

const pendingRecords = async () =>
  (await pipeline.db.collection(OUTBOX).where('pending', '==', true).orderBy('createdAt').get()).docs;
const history = (customerId: string) =>
  pipeline.readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customerId);

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

    // Committed but never published: the events are safe in the outbox, the view knows nothing yet.
    expect((await pendingRecords()).length).toBeGreaterThanOrEqual(4);
    expect(await history(customerId)).toBeNull();

    // A new API instance starts its relay.
    pipeline.relay = pipeline.newRelay();
    pipeline.relay.start();

    await expect.poll(async () => (await history(customerId))?.orderCount, { timeout: 20_000, interval: 50 }).toBe(3);
    expect(Object.keys((await history(customerId))!.orders).sort()).toEqual([...orderIds].sort());
    await expect.poll(async () => (await pendingRecords()).length, { timeout: 10_000 }).toBe(0);
    await pipeline.relay.stop();
  });

  it('republishes after a crash between publish and mark-done, and duplicates change nothing', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderIds = await placeOrders(customerId, 2);
    // A pull subscription beside the projector's push one, to see every copy that goes out.
    const topic = pipeline.pubsub.topic(DOMAIN_EVENTS_TOPIC, { messageOrdering: true });
    const [tap] = await topic.createSubscription(`tap-${randomUUID().slice(0, 8)}`);
    const copies: string[] = [];
    tap.on('message', (message) => {
      copies.push(message.attributes.streamId!);
      message.ack();
    });

    // A relay publishes every pending event and dies before marking the records done.
    for (const record of await pendingRecords()) {
      for (const event of record.get('events') as EventEnvelope[]) await topic.publishMessage(toEventMessage(event));
    }
    await expect.poll(async () => (await history(customerId))?.orderCount, { timeout: 20_000, interval: 50 }).toBe(2);
    const settled = await history(customerId);
    expect((await pendingRecords()).length).toBeGreaterThan(0);

    // The next relay publishes the same events again.
    pipeline.relay = pipeline.newRelay();
    expect(await pipeline.relay.drain()).toBeGreaterThanOrEqual(2);
    expect((await pendingRecords()).length).toBe(0);

    // Every event went out twice; the duplicates are absorbed and the view does not change.
    const ours = () => copies.filter((streamId) => orderIds.some((id) => streamId === `order-${id}`)).length;
    await expect.poll(ours, { timeout: 20_000, interval: 50 }).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await tap.close();
    expect(await history(customerId)).toEqual(settled);
    // The order streams' checkpoints of this read model (every projector keeps its own).
    const projector = new FirestoreProjector(pipeline.db, pipeline.store);
    const checkpoints = await Promise.all(
      orderIds.map((id) => projector.checkpointRef(readModelCollectionName(customerOrderHistoryProjection), `order-${id}`).get()),
    );
    expect(checkpoints.map((d) => d.get('version'))).toEqual([1, 1]);
  });
});
