/**
 * The projector function, reached the way Pub/Sub reaches it: an HTTP POST of the push envelope to
 * the functions-framework server, with the event store and read model on the Firestore emulator.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope, NewEvent } from '../src/core/eventStore.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector, readModelCollectionName } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { toEventMessage } from '../src/pubsub/eventMessage.ts';
import { customerOrderHistoryProjection, type CustomerOrderHistory } from '../src/projections/customerOrderHistory.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';

const projectId = uniqueProjectId('projector');
process.env.GOOGLE_CLOUD_PROJECT = projectId;
process.env.LOG_LEVEL = 'silent';
await import('../functions/index.ts');

const db = testFirestore(projectId);
const store = new FirestoreEventStore(db);
const readModels = new FirestoreReadModels(db);
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = getTestServer('projectCustomerOrderHistory');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.terminate();
});

function push(body: unknown): Promise<Response> {
  return fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function deliver(event: EventEnvelope): Promise<Response> {
  const message = toEventMessage(event);
  return push({
    subscription: `projects/${projectId}/subscriptions/projector-projectCustomerOrderHistory`,
    message: {
      data: message.data.toString('base64'),
      attributes: message.attributes,
      messageId: randomUUID(),
      publishTime: new Date().toISOString(),
    },
  });
}

function newEvent(type: string, data: object): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    data,
    occurredAt: new Date().toISOString(),
    metadata: { correlationId: randomUUID(), causationId: null },
  };
}

function orderPlaced(orderId: string, customerId: string, totalCents = 1000): NewEvent {
  return newEvent('OrderPlaced', {
    orderId,
    customerId,
    lines: [{ productId: 'p1', productName: 'Kettle', quantity: 1, unitPriceCents: totalCents }],
    totalCents,
    placedAt: new Date().toISOString(),
  });
}

function paid(orderId: string, customerId: string, amountCents: number): NewEvent {
  const at = new Date().toISOString();
  return newEvent('OrderPaymentConfirmed', { orderId, customerId, paymentReference: 'psp-1', amountCents, placedAt: at, paidAt: at });
}

/** Writes a new order stream in one commit and returns its stored envelopes. */
async function newOrderStream(orderId: string, events: NewEvent[]): Promise<readonly EventEnvelope[]> {
  return (await store.appendToStreams([{ streamId: `order-${orderId}`, expectedVersion: 0, events }])).events;
}

const history = (customerId: string) => readModels.get<CustomerOrderHistory>(customerOrderHistoryProjection, customerId);

describe('projectCustomerOrderHistory (functions-framework, push envelope)', () => {
  it('applies a delivered event to the read model and answers 204', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderId = randomUUID();
    const events = await newOrderStream(orderId, [orderPlaced(orderId, customerId, 1500)]);

    const response = await deliver(events[0]!);
    expect(response.status).toBe(204);
    expect(await history(customerId)).toMatchObject({ orderCount: 1, totalSpentCents: 1500 });
  });

  it('changes nothing on a duplicate delivery or an older event', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderId = randomUUID();
    const events = await newOrderStream(orderId, [orderPlaced(orderId, customerId, 700), paid(orderId, customerId, 700)]);
    expect((await deliver(events[0]!)).status).toBe(204);
    expect((await deliver(events[1]!)).status).toBe(204);
    const before = await history(customerId);

    expect((await deliver(events[0]!)).status).toBe(204); // older than the checkpoint
    expect((await deliver(events[1]!)).status).toBe(204); // exact duplicate
    expect(await history(customerId)).toEqual(before);
    expect(before).toMatchObject({ orderCount: 1, totalSpentCents: 700 });
  });

  it('fills a gap by reading the missing events from the event store', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderId = randomUUID();
    const events = await newOrderStream(orderId, [orderPlaced(orderId, customerId, 4200), paid(orderId, customerId, 4200)]);

    // Version 2 arrives first; version 1 (the OrderPlaced) was never delivered yet.
    expect((await deliver(events[1]!)).status).toBe(204);
    expect(await history(customerId)).toMatchObject({ orderCount: 1, totalSpentCents: 4200 });
    // When version 1 finally arrives, it is already applied.
    expect((await deliver(events[0]!)).status).toBe(204);
    expect(await history(customerId)).toMatchObject({ orderCount: 1, totalSpentCents: 4200 });
  });

  it('answers 500, so that Pub/Sub redelivers, when the store cannot fill a gap, and writes nothing', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderId = randomUUID();
    const streamId = `order-${orderId}`;
    const { events } = await store.appendToStreams([{ streamId, expectedVersion: 0, events: [orderPlaced(orderId, customerId, 900)] }]);
    expect((await deliver(events[0]!)).status).toBe(204);
    const projector = new FirestoreProjector(db, store);
    const checkpoint = projector.checkpointRef(readModelCollectionName(customerOrderHistoryProjection), streamId);
    const before = { view: await history(customerId), checkpoint: (await checkpoint.get()).data() };
    expect(before.checkpoint).toMatchObject({ version: 1 });

    // Version 3 of a stream whose version 2 the store does not have (a message from a store that lost
    // events, or from another environment): the gap cannot be filled.
    const at = new Date().toISOString();
    const orphan: EventEnvelope = {
      ...events[0]!,
      eventId: randomUUID(),
      version: 3,
      type: 'OrderShipped',
      data: {
        orderId,
        customerId,
        lines: [{ productId: 'p1', productName: 'Kettle', quantity: 1, unitPriceCents: 900 }],
        placedAt: at,
        shippedAt: at,
      },
    };
    expect((await deliver(orphan)).status).toBe(500);
    await expect(projector.apply(customerOrderHistoryProjection, orphan)).rejects.toThrow(
      `Stream ${streamId} has 0 events between 1 and 3; expected 1`,
    );
    expect({ view: await history(customerId), checkpoint: (await checkpoint.get()).data() }).toEqual(before);
  });

  it.each([
    ['a body that is not a push envelope', { hello: 'world' }],
    ['message data that is not base64 JSON', { subscription: 's', message: { data: '!!!', messageId: '1' } }],
    [
      'an envelope without a stream id',
      {
        subscription: 's',
        message: { data: Buffer.from(JSON.stringify({ type: 'OrderPlaced' })).toString('base64'), messageId: '1' },
      },
    ],
  ])('rejects %s with 400 and a typed reason, touching no view', async (_name, body) => {
    const response = await push(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'PUSH.MALFORMED' } });
  });

  it('rejects an event type this code does not know with 400 and EVENT.UNKNOWN_TYPE, touching no view', async () => {
    const customerId = `c-${randomUUID()}`;
    const events = await newOrderStream(randomUUID(), [newEvent('OrderGiftWrapped', { customerId })]);
    const response = await deliver(events[0]!);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'EVENT.UNKNOWN_TYPE' } });
    expect(await history(customerId)).toBeNull();
  });

  it('rejects attributes that disagree with the payload', async () => {
    const customerId = `c-${randomUUID()}`;
    const orderId = randomUUID();
    const events = await newOrderStream(orderId, [orderPlaced(orderId, customerId)]);
    const message = toEventMessage(events[0]!);
    const response = await push({
      subscription: 's',
      message: {
        data: message.data.toString('base64'),
        attributes: { ...message.attributes, version: '9' },
        messageId: '1',
      },
    });
    expect(response.status).toBe(400);
    expect(await history(customerId)).toBeNull();
  });
});

describe('concurrent deliveries to one projector instance', () => {
  it('take turns on the documents they share instead of contending for them in Firestore', async () => {
    // Six orders of one customer, each stream placed then paid: all twelve events write the customer's history,
    // and each pair writes its stream's checkpoint. Delivered at once, as a push subscription does.
    const customerId = `c-${randomUUID()}`;
    const streams = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const orderId = randomUUID();
        return newOrderStream(orderId, [orderPlaced(orderId, customerId, 100 * (i + 1)), paid(orderId, customerId, 100 * (i + 1))]);
      }),
    );
    const projector = new FirestoreProjector(db, store);

    const outcomes = await Promise.all(streams.flat().map((event) => projector.apply(customerOrderHistoryProjection, event)));

    // Each transaction ran once: none met another of this instance's on a lock and was retried.
    expect(outcomes.map((outcome) => outcome.attempts)).toEqual(outcomes.map(() => 1));
    expect(outcomes.every((outcome) => outcome.status === 'applied' || outcome.status === 'duplicate')).toBe(true);
    expect(await history(customerId)).toMatchObject({ orderCount: 6, totalSpentCents: 2100 });
  });
});
