/**
 * Dead letters over the real pipeline: a poison event exhausts its deliveries and lands in the dead
 * letters of each projector that could not apply it, without holding back other streams; skipping it
 * lets its stream move on.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreDeadLetterQueue } from '../src/firestore/firestoreDeadLetters.ts';
import { FirestoreProjector, readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { projections } from '../functions/projectors.ts';
import { asCustomer } from './support/identities.ts';
import { DOMAIN_EVENTS_TOPIC, graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';

let pipeline: Pipeline;
let projector: FirestoreProjector;
let deadLetters: FirestoreDeadLetterQueue;
beforeAll(async () => {
  pipeline = await startPipeline();
  projector = new FirestoreProjector(pipeline.db, pipeline.store);
  deadLetters = new FirestoreDeadLetterQueue(pipeline.db, {
    redriveTopic: pipeline.pubsub.topic(DOMAIN_EVENTS_TOPIC),
    projector,
    projections,
  });
});
afterAll(() => pipeline?.stop());

const metadata = { correlationId: 'poison-test', causationId: null };

describe('dead letters', () => {
  it('dead-letters a poison event per projector, keeps other streams flowing, and moves on once it is skipped', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);

    // A bug in some old writer stored an OrderPlaced without lines: every order projection chokes on it.
    const poisonStream = `order-poison-${randomUUID().slice(0, 8)}`;
    const orderId = poisonStream.replace(/^order-/, '');
    const { events } = await pipeline.store.appendToStreams([
      {
        streamId: poisonStream,
        expectedVersion: 0,
        events: [
          {
            eventId: randomUUID(),
            type: 'OrderPlaced',
            data: { orderId, customerId, totalCents: 100, placedAt: new Date().toISOString() },
            occurredAt: new Date().toISOString(),
            metadata,
          },
        ],
      },
    ]);
    const poison = events[0]!;

    // Another stream is not held back by it.
    const { data } = await graphql<{ placeOrder: { orderId: string } }>(
      pipeline.api,
      PLACE_ORDER,
      { input: orderInput(customerId) },
      await asCustomer(customerId),
    );
    const healthyOrder = data!.placeOrder.orderId;
    await expect
      .poll(
        async () =>
          Object.keys((await pipeline.readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customerId))?.orders ?? {}),
        {
          timeout: 20_000,
          interval: 100,
        },
      )
      .toEqual([healthyOrder]);

    // After the maximum delivery attempts, the poison event is a dead letter of each projector that failed on it.
    const deadLetterOf = async (readModel: string) =>
      (await deadLetters.list({ readModel, status: 'PENDING' })).deadLetters.find((d) => d.event?.eventId === poison.eventId);
    await expect.poll(() => deadLetterOf('customerOrderHistory'), { timeout: 45_000, interval: 250 }).toBeDefined();
    const deadLetter = (await deadLetterOf('customerOrderHistory'))!;
    expect(deadLetter).toMatchObject({
      readModel: 'customerOrderHistory',
      status: 'PENDING',
      event: { streamId: poisonStream, version: 1 },
    });
    // The subscription's maximum: five deliveries, each refused by the projector itself, then the dead letter.
    expect(deadLetter.deliveryAttempts).toBe(5);
    expect(
      pipeline
        .deliveries('projectCustomerOrderHistory')
        .filter((d) => d.eventId === poison.eventId)
        .map((d) => d.status),
    ).toEqual([400, 400, 400, 400, 400]);
    // The inventory projection does not read orders, so it had nothing to fail on.
    expect(await deadLetterOf('inventoryCount')).toBeUndefined();

    // An operator skips it; the next event of that stream is then applied past it.
    const skipped = await deadLetters.skip(deadLetter.id, 'ops:test');
    expect(skipped).toMatchObject({ status: 'SKIPPED', resolvedBy: 'ops:test' });
    await expect(deadLetters.skip(deadLetter.id, 'ops:test')).rejects.toMatchObject({
      code: 'DEAD_LETTER.ALREADY_RESOLVED',
    });

    await pipeline.store.appendToStreams([
      {
        streamId: poisonStream,
        expectedVersion: 1,
        events: [
          {
            eventId: randomUUID(),
            type: 'OrderPaymentConfirmed',
            data: {
              orderId,
              customerId,
              paymentReference: 'p',
              amountCents: 100,
              placedAt: poison.occurredAt,
              paidAt: new Date().toISOString(),
            },
            occurredAt: new Date().toISOString(),
            metadata,
          },
        ],
      },
    ]);
    const checkpoint = projector.checkpointRef(readModelCollectionName(customerOrderHistoryProjection), poisonStream);
    await expect.poll(async () => (await checkpoint.get()).get('version'), { timeout: 20_000, interval: 100 }).toBe(2);
  }, 120_000);
});
