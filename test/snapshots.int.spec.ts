/** Snapshots on the Firestore emulator: loading uses the latest snapshot plus the tail; old shapes are ignored and replaced. */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PRODUCT_SNAPSHOTS } from '../src/catalog/product.ts';
import { productDecider, type ProductCommand } from '../src/catalog/productDecider.ts';
import { productStreamId } from '../src/catalog/productEvents.ts';
import { decideOnStream, runCommand } from '../src/core/commandHandler.ts';
import { loadAggregate } from '../src/core/snapshots.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreSnapshotStore } from '../src/firestore/firestoreSnapshotStore.ts';
import { testFirestore } from './support/firestore.ts';

const db = testFirestore();
const store = new FirestoreEventStore(db);
const snapshots = new FirestoreSnapshotStore(db);
afterAll(() => db.terminate());

function run(productId: string, command: ProductCommand) {
  return runCommand({
    store,
    snapshots,
    decide: decideOnStream(productDecider, productStreamId(productId), command),
    commandName: command.type,
    occurredAt: new Date().toISOString(),
    metadata: { correlationId: randomUUID(), causationId: null },
  });
}

async function productWithRestocks(restocks: number): Promise<string> {
  const productId = `p-${randomUUID().slice(0, 8)}`;
  await run(productId, {
    type: 'AddProduct',
    productId,
    name: 'Tea',
    priceCents: 450,
    currency: 'EUR',
    initialStock: 0,
    lowStockThreshold: 5,
    // The single-stream layout, so every restock lands on the product stream whose snapshots are tested.
    stockBuckets: 0,
  });
  for (let i = 0; i < restocks; i++) await run(productId, { type: 'RestockProduct', productId, quantity: 1 });
  return productId;
}

describe('snapshots', () => {
  it(`takes a snapshot every ${PRODUCT_SNAPSHOTS.every} events and loads from it plus the tail`, async () => {
    const productId = await productWithRestocks(59); // versions 1..60
    const streamId = productStreamId(productId);
    // Saving is not awaited by the command, so the next command or two may not see it yet and take
    // another: the snapshot lands at 50 or just after.
    await vi.waitFor(async () => expect((await snapshots.load(streamId))?.version).toBeGreaterThanOrEqual(50));
    const taken = (await snapshots.load(streamId))!.version;
    expect(taken).toBeLessThan(60);

    const readStream = vi.spyOn(store, 'readStream');
    const fromSnapshot = await loadAggregate(store, snapshots, streamId, productDecider);
    expect(readStream).toHaveBeenCalledWith(streamId, { fromVersion: taken + 1 });
    readStream.mockRestore();

    const whole = await loadAggregate(store, undefined, streamId, productDecider);
    expect(fromSnapshot).toEqual({ state: whole.state, version: 60, snapshotVersion: taken });
    expect(whole.snapshotVersion).toBe(0);
    expect(fromSnapshot.state).toMatchObject({ status: 'ACTIVE', onHand: 59 });
  });

  it('ignores a snapshot of an older state shape, and replaces it with a current one', async () => {
    const productId = await productWithRestocks(9); // versions 1..10, no snapshot due yet
    const streamId = productStreamId(productId);
    await snapshots.save({ streamId, version: 10, stateVersion: PRODUCT_SNAPSHOTS.stateVersion - 1, state: { legacy: true } });

    const loaded = await loadAggregate(store, snapshots, streamId, productDecider);
    expect(loaded).toMatchObject({ version: 10, snapshotVersion: 0, state: { status: 'ACTIVE', onHand: 9 } });

    // The old-shape snapshot counts as none, so the next commit past the threshold writes a current one.
    for (let i = 0; i < 40; i++) await run(productId, { type: 'RestockProduct', productId, quantity: 1 });
    await vi.waitFor(async () => expect(await snapshots.load(streamId)).toMatchObject({ stateVersion: PRODUCT_SNAPSHOTS.stateVersion }));
    expect((await snapshots.load(streamId))!.version).toBeGreaterThanOrEqual(50);
  });

  it('never replaces a newer snapshot with an older one of the same shape', async () => {
    const streamId = `product-${randomUUID()}`;
    await snapshots.save({ streamId, version: 100, stateVersion: 1, state: { v: 100 } });
    await snapshots.save({ streamId, version: 50, stateVersion: 1, state: { v: 50 } });
    expect(await snapshots.load(streamId)).toMatchObject({ version: 100, state: { v: 100 } });
  });
});
