import { describe, expect, it } from 'vitest';
import type { ProductEvent } from '../../src/catalog/productEvents.ts';
import { inventoryCountProjection, type InventoryCount } from '../../src/projections/inventoryCount.ts';
import { envelope, project } from '../support/envelopes.ts';

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
