import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { handleCommand } from '../src/core/commandHandler.ts';
import { IdempotencyKeyReusedError } from '../src/core/errors.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { orderDecider } from '../src/orders/order.ts';
import { orderStreamId } from '../src/orders/orderEvents.ts';
import type { PlaceOrder } from '../src/orders/placeOrder.ts';
import { testFirestore } from './support/firestore.ts';

const db = testFirestore();
const store = new FirestoreEventStore(db);
afterAll(() => db.terminate());

/** What the API does per request: a fresh order id each time, the client's key and request alongside. */
function placeOrder(request: { customerId: string; quantity: number }, key?: string) {
  const orderId = randomUUID();
  const command: PlaceOrder = {
    type: 'PlaceOrder',
    orderId,
    customerId: request.customerId,
    lines: [{ productId: 'p1', quantity: request.quantity, unitPriceCents: 100 }],
    placedAt: new Date().toISOString(),
  };
  return handleCommand({
    store,
    decider: orderDecider,
    streamId: orderStreamId(orderId),
    command,
    commandName: 'PlaceOrder',
    occurredAt: command.placedAt,
    metadata: { correlationId: randomUUID(), causationId: null },
    ...(key ? { idempotency: { key, request } } : {}),
  });
}

async function ordersOf(customerId: string): Promise<number> {
  const events = await db.collectionGroup('events').where('data.customerId', '==', customerId).get();
  return events.size;
}

describe('command handler on Firestore', () => {
  it('appends the decided events and returns the new stream version', async () => {
    const result = await placeOrder({ customerId: `c-${randomUUID()}`, quantity: 1 });
    expect(result).toMatchObject({ version: 1, replayed: false });
    const stored = await store.readStream(result.streamId);
    expect(stored.map((e) => [e.type, e.metadata.command])).toEqual([['OrderPlaced', 'PlaceOrder']]);
  });

  it('with the same idempotency key twice, appends once and returns the first result both times', async () => {
    const customerId = `c-${randomUUID()}`;
    const key = `key-${randomUUID()}`;
    const first = await placeOrder({ customerId, quantity: 2 }, key);
    const second = await placeOrder({ customerId, quantity: 2 }, key);

    expect(second).toEqual({ ...first, replayed: true });
    expect(await ordersOf(customerId)).toBe(1);
  });

  it('with the same key sent concurrently, appends once and every caller gets the same result', async () => {
    const customerId = `c-${randomUUID()}`;
    const key = `key-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => placeOrder({ customerId, quantity: 3 }, key)));

    expect(new Set(results.map((r) => r.streamId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await ordersOf(customerId)).toBe(1);
  });

  it('rejects the same key with a different request, and writes nothing', async () => {
    const customerId = `c-${randomUUID()}`;
    const key = `key-${randomUUID()}`;
    await placeOrder({ customerId, quantity: 1 }, key);
    await expect(placeOrder({ customerId, quantity: 5 }, key)).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await ordersOf(customerId)).toBe(1);
  });
});
