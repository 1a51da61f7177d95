import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventRegistry, InvalidEventDataError, UnknownEventTypeError, UnsupportedEventVersionError } from '../../src/core/eventRegistry.ts';
import type { EventEnvelope } from '../../src/core/eventStore.ts';
import { shopEvents } from '../../src/shopEvents.ts';

function stored(type: string, schemaVersion: number, data: object): EventEnvelope {
  return {
    eventId: 'e1',
    streamId: 'product-kettle',
    version: 1,
    type,
    schemaVersion,
    data,
    occurredAt: '2026-01-10T09:00:00.000Z',
    metadata: { correlationId: 'c', causationId: null },
  };
}

describe('event schema versions', () => {
  it('lifts a v1 ProductAdded (a bare number of cents) through v2 (amount plus currency) to v3 (stock in its own stream)', () => {
    const v1 = stored('ProductAdded', 1, { productId: 'kettle', name: 'Kettle', priceCents: 2500, initialStock: 3, lowStockThreshold: 1 });
    expect(shopEvents.upcast(v1)).toEqual({
      ...v1,
      schemaVersion: 3,
      data: {
        productId: 'kettle',
        name: 'Kettle',
        price: { amountCents: 2500, currency: 'EUR' },
        initialStock: 3,
        lowStockThreshold: 1,
        stockBuckets: 0,
      },
    });
  });

  it('lifts a v2 ProductAdded, from before stock buckets, to one whose own stream holds its stock', () => {
    const data = {
      productId: 'kettle',
      name: 'Kettle',
      price: { amountCents: 2500, currency: 'EUR' },
      initialStock: 3,
      lowStockThreshold: 1,
    };
    expect(shopEvents.upcast(stored('ProductAdded', 2, data)).data).toEqual({ ...data, stockBuckets: 0 });
  });

  it('lifts a v1 ProductPriceChanged, both prices', () => {
    const v1 = stored('ProductPriceChanged', 1, { productId: 'kettle', priceCents: 2700, previousPriceCents: 2500 });
    expect(shopEvents.upcast(v1).data).toEqual({
      productId: 'kettle',
      price: { amountCents: 2700, currency: 'EUR' },
      previousPrice: { amountCents: 2500, currency: 'EUR' },
    });
  });

  it('lifts a v1 OrderPlaced, from before orders recorded their stock buckets, to one that does not say where its units are', () => {
    const data = {
      orderId: 'o1',
      customerId: 'c1',
      lines: [{ productId: 'kettle', productName: 'Kettle', quantity: 2, unitPriceCents: 2500 }],
      totalCents: 5000,
      placedAt: '2026-01-10T09:00:00.000Z',
    };
    expect(shopEvents.upcast(stored('OrderPlaced', 1, data))).toMatchObject({ schemaVersion: 2, data: { ...data, reservedIn: null } });
    // A new OrderPlaced says where its units are (an empty list when no product keeps them in buckets), at least one bucket each.
    const placed = (reservedIn?: unknown) => stored('OrderPlaced', 2, reservedIn === undefined ? data : { ...data, reservedIn });
    expect(shopEvents.stamp(placed([{ productId: 'kettle', buckets: [3] }])).schemaVersion).toBe(2);
    expect(shopEvents.stamp(placed([])).schemaVersion).toBe(2);
    expect(() => shopEvents.stamp(placed())).toThrow(InvalidEventDataError);
    expect(() => shopEvents.stamp(placed([{ productId: 'kettle', buckets: [] }]))).toThrow(InvalidEventDataError);
  });

  it('passes a current event through unchanged', () => {
    const v2 = stored('ProductRestocked', 1, { productId: 'kettle', quantity: 4 });
    expect(shopEvents.upcast(v2)).toEqual(v2);
  });

  it('refuses an unknown type, a version newer than the code, and data that breaks its schema, each with its code', () => {
    expect(() => shopEvents.upcast(stored('ProductTeleported', 1, {}))).toThrow(UnknownEventTypeError);
    expect(() => shopEvents.upcast(stored('ProductAdded', 4, {}))).toThrow(
      expect.objectContaining({ code: 'EVENT.UNSUPPORTED_VERSION', schemaVersion: 4, currentVersion: 3 }),
    );
    expect(() => shopEvents.upcast(stored('ProductRestocked', 1, { productId: 'kettle', quantity: 'many' }))).toThrow(
      InvalidEventDataError,
    );
    expect(() => shopEvents.upcast(stored('ProductAdded', 0, {}))).toThrow(UnsupportedEventVersionError);
  });

  it('stamps new events with the current version, after checking them', () => {
    const event = {
      eventId: 'e2',
      type: 'ProductAdded',
      data: {
        productId: 'mug',
        name: 'Mug',
        price: { amountCents: 900, currency: 'EUR' },
        initialStock: 1,
        lowStockThreshold: 0,
        stockBuckets: 4,
      },
      occurredAt: '2026-11-29T15:00:00.000Z',
      metadata: { correlationId: 'c', causationId: null },
    };
    expect(shopEvents.stamp(event).schemaVersion).toBe(3);
    expect(() => shopEvents.stamp({ ...event, data: { productId: 'mug', priceCents: 900 } })).toThrow(InvalidEventDataError);
  });

  it('will not start without an upcaster for every old version', () => {
    expect(() => new EventRegistry([{ type: 'X', versions: { 1: z.object({}), 2: z.object({}) } }])).toThrow(/no upcaster from v1/);
  });
});
