import { describe, expect, it } from 'vitest';
import type { ProductEvent } from '../../src/catalog/productEvents.ts';
import { stockBucketStreamId } from '../../src/catalog/productEvents.ts';
import type { EventEnvelope } from '../../src/core/eventStore.ts';
import { documentIdsOf, summaryOf } from '../../src/core/projection.ts';
import { INVENTORY_BUCKET_SHARDS, inventoryCountProjection, type InventoryCount } from '../../src/projections/inventoryCount.ts';
import { envelope, project, projectSharded } from '../support/envelopes.ts';

const kettle = 'sku-kettle';
type Given = { event: ProductEvent; at: string };
const productEvent = (event: ProductEvent, at = '2026-11-29T15:00:00.000Z'): Given => ({ event, at });
const added = (initialStock: number, lowStockThreshold = 5) =>
  productEvent({
    type: 'ProductAdded',
    data: {
      productId: kettle,
      name: 'Kettle',
      price: { amountCents: 2500, currency: 'EUR' },
      initialStock,
      lowStockThreshold,
      stockBuckets: 0,
    },
  });
const reserved = (orderId: string, quantity: number) =>
  productEvent({ type: 'StockReserved', data: { productId: kettle, orderId, quantity } });
const released = (orderId: string, quantity: number) =>
  productEvent({ type: 'StockReservationReleased', data: { productId: kettle, orderId, quantity } });
const shipped = (orderId: string, quantity: number) =>
  productEvent({ type: 'ReservedStockShipped', data: { productId: kettle, orderId, quantity } });

/** The events are the product stream, versions 1, 2, ... */
function given(...events: Given[]): InventoryCount {
  const envelopes = events.map(({ event, at }, i) => envelope(`product-${kettle}`, i + 1, event, at));
  return project(inventoryCountProjection, envelopes)[kettle]!;
}

describe('InventoryCount projection', () => {
  it('given a product was added, then it is listed active with its stock all available', () => {
    expect(given(added(20))).toEqual({
      productId: kettle,
      name: 'Kettle',
      priceCents: 2500,
      currency: 'EUR',
      status: 'ACTIVE',
      onHand: 20,
      reserved: 0,
      available: 20,
      sold: 0,
      lowStockThreshold: 5,
      lowStock: false,
      updatedAt: '2026-11-29T15:00:00.000Z',
      version: 1,
    });
  });

  it('given reservations, then reserved units are on hand but not available', () => {
    expect(given(added(20), reserved('o1', 3), reserved('o2', 4))).toMatchObject({ onHand: 20, reserved: 7, available: 13, sold: 0 });
  });

  it('given a cancelled order released its units, then they are available again', () => {
    expect(given(added(20), reserved('o1', 3), reserved('o2', 4), released('o1', 3))).toMatchObject({
      onHand: 20,
      reserved: 4,
      available: 16,
    });
  });

  it('given an order shipped, then its units leave on hand and count as sold', () => {
    expect(given(added(20), reserved('o1', 3), shipped('o1', 3))).toMatchObject({ onHand: 17, reserved: 0, available: 17, sold: 3 });
  });

  it('given a restock and a price change, then both show, with the version of the last event', () => {
    const view = given(
      added(2),
      productEvent({ type: 'ProductRestocked', data: { productId: kettle, quantity: 10 } }),
      productEvent(
        {
          type: 'ProductPriceChanged',
          data: { productId: kettle, price: { amountCents: 2700, currency: 'EUR' }, previousPrice: { amountCents: 2500, currency: 'EUR' } },
        },
        '2026-11-30T09:00:00.000Z',
      ),
    );
    expect(view).toMatchObject({ onHand: 12, available: 12, priceCents: 2700, version: 3, updatedAt: '2026-11-30T09:00:00.000Z' });
  });

  it('flags low stock when available units fall to the threshold, and clears it on restock', () => {
    expect(given(added(10, 5), reserved('o1', 4)).lowStock).toBe(false); // 6 available
    expect(given(added(10, 5), reserved('o1', 5)).lowStock).toBe(true); // 5 available
    expect(
      given(added(10, 5), reserved('o1', 5), productEvent({ type: 'ProductRestocked', data: { productId: kettle, quantity: 1 } })).lowStock,
    ).toBe(false);
  });

  it('does not flag a discontinued product as low on stock', () => {
    const view = given(added(1, 5), productEvent({ type: 'ProductDiscontinued', data: { productId: kettle } }));
    expect(view).toMatchObject({ status: 'DISCONTINUED', available: 1, lowStock: false });
  });

  it('routes every product event to its product', () => {
    expect(inventoryCountProjection.viewIds(envelope(`product-${kettle}`, 2, reserved('o1', 1).event))).toEqual([kettle]);
  });
});

describe('InventoryCount kept in shards that match the stock buckets', () => {
  const bucketed = (initialStock: number, lowStockThreshold: number, stockBuckets: number): ProductEvent =>
    ({
      ...added(initialStock, lowStockThreshold).event,
      data: { ...(added(initialStock, lowStockThreshold).event.data as object), stockBuckets },
    }) as ProductEvent;
  const restocked = (quantity: number): ProductEvent => ({ type: 'ProductRestocked', data: { productId: kettle, quantity } });
  const discontinued: ProductEvent = { type: 'ProductDiscontinued', data: { productId: kettle } };

  /** A product with 20 buckets: its stream, and orders reserving, shipping and releasing in several buckets. */
  function history(): Array<EventEnvelope<ProductEvent>> {
    const product = `product-${kettle}`;
    const versions = new Map<string, number>();
    const at = (streamId: string, event: ProductEvent, minute: number) => {
      const version = (versions.get(streamId) ?? 0) + 1;
      versions.set(streamId, version);
      return envelope(streamId, version, event, `2026-11-29T15:${String(minute).padStart(2, '0')}:00.000Z`);
    };
    const bucket = (k: number) => stockBucketStreamId(kettle, k);
    return [
      at(product, bucketed(100, 30, 20), 0),
      at(bucket(0), reserved('o1', 3).event, 1),
      at(bucket(16), reserved('o2', 5).event, 2),
      at(bucket(7), restocked(4), 3),
      at(bucket(0), shipped('o1', 3).event, 4),
      at(bucket(16), released('o2', 5).event, 5),
      at(bucket(19), reserved('o3', 50).event, 6),
      at(
        product,
        {
          type: 'ProductPriceChanged',
          data: { productId: kettle, price: { amountCents: 2700, currency: 'EUR' }, previousPrice: { amountCents: 2500, currency: 'EUR' } },
        },
        7,
      ),
      at(bucket(3), reserved('o4', 30).event, 8),
    ];
  }

  it("writes the product stream to its catalog shard and each bucket to a shard of its own, the 17th bucket sharing the first's", () => {
    const shardOf = (streamId: string) => documentIdsOf(inventoryCountProjection, envelope(streamId, 1, reserved('o1', 1).event));
    expect(shardOf(`product-${kettle}`)).toEqual([`${kettle}~00`]);
    expect(shardOf(stockBucketStreamId(kettle, 0))).toEqual([`${kettle}~01`]);
    expect(shardOf(stockBucketStreamId(kettle, 15))).toEqual([`${kettle}~16`]);
    expect(shardOf(stockBucketStreamId(kettle, INVENTORY_BUCKET_SHARDS))).toEqual([`${kettle}~01`]);
    // A product id with dashes and digits is still read back to the right bucket.
    const dashed = 'sku-2-pack-10';
    const event = envelope(stockBucketStreamId(dashed, 12), 1, {
      type: 'StockReserved',
      data: { productId: dashed, orderId: 'o', quantity: 1 },
    } as ProductEvent);
    expect(documentIdsOf(inventoryCountProjection, event)).toEqual([`${dashed}~13`]);
  });

  it('refuses a stream that holds no stock of the product, rather than write a shard nobody reads', () => {
    expect(() => documentIdsOf(inventoryCountProjection, envelope('order-o1', 1, reserved('o1', 1).event))).toThrow(/holds no stock/);
  });

  it('merges on read into the view one document had, whatever order the streams arrive in', () => {
    const events = history();
    const oneDocument = project(inventoryCountProjection, events)[kettle]!;
    expect(oneDocument).toMatchObject({ onHand: 101, reserved: 80, sold: 3, available: 21, lowStock: true, priceCents: 2700, version: 2 });
    // Streams interleaved differently (each stream still in version order): buckets first, the product stream last.
    const productLast = [
      ...events.filter((e) => !e.streamId.startsWith('product-')),
      ...events.filter((e) => e.streamId.startsWith('product-')),
    ];
    for (const order of [events, productLast, [...productLast].reverse().sort((a, b) => a.version - b.version)]) {
      expect(projectSharded(inventoryCountProjection, order).views[kettle]).toEqual(oneDocument);
    }
  });

  it("counts a bucket's discontinue at once, as one document did before the product stream's arrived", () => {
    const events = [envelope(`product-${kettle}`, 1, bucketed(10, 2, 4)), envelope(stockBucketStreamId(kettle, 2), 1, discontinued)];
    expect(projectSharded(inventoryCountProjection, events).views[kettle]).toEqual(project(inventoryCountProjection, events)[kettle]);
    expect(projectSharded(inventoryCountProjection, events).views[kettle]).toMatchObject({
      status: 'DISCONTINUED',
      lowStock: false,
      version: 1,
    });
  });

  it('keeps a summary for queries that changes only when the product turns low or recovers, or while it is low', () => {
    const summary = (view: InventoryCount) => summaryOf(inventoryCountProjection, view);
    const plenty = given(added(100, 5));
    expect(summary(plenty)).toEqual({ lowStock: false, availableWhileLow: null, viewSummary: true });
    expect(summary(given(added(100, 5), reserved('o1', 10)))).toEqual(summary(plenty));
    expect(summary(given(added(100, 5), reserved('o1', 96)))).toEqual({ lowStock: true, availableWhileLow: 4, viewSummary: true });
  });

  it('never changes the summary with the event types it skips the summary check for, in any state', () => {
    const unchangedBy = inventoryCountProjection.sharded!.queryFieldsUnchangedBy!;
    expect([...unchangedBy].sort()).toEqual(['ProductPriceChanged', 'ReservedStockShipped']);
    const events = history();
    for (let n = 1; n <= events.length; n++) {
      const view = project(inventoryCountProjection, events.slice(0, n))[kettle]!;
      for (const event of [
        shipped('o1', 1).event,
        shipped('o9', 40).event,
        {
          type: 'ProductPriceChanged',
          data: { productId: kettle, price: { amountCents: 1, currency: 'EUR' }, previousPrice: { amountCents: 2, currency: 'EUR' } },
        } as ProductEvent,
      ]) {
        const after = inventoryCountProjection.evolve(view, envelope(stockBucketStreamId(kettle, 1), 99, event));
        expect(summaryOf(inventoryCountProjection, after)).toEqual(summaryOf(inventoryCountProjection, view));
      }
    }
  });
});
