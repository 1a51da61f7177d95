/**
 * Each projector's push subscription lets through only the event types its projection reads, in a filter
 * Pub/Sub accepts (at most 256 bytes), and its name changes with the filter (Pub/Sub cannot change it).
 */
import { describe, expect, it } from 'vitest';
import { projectors } from '../functions/projectors.ts';
import { productEventTypes } from '../src/catalog/productEvents.ts';
import { customerEventTypes } from '../src/customers/customerEvents.ts';
import { paymentWorkflowEventTypes } from '../src/fulfilment/paymentEvents.ts';
import { orderEventTypes } from '../src/orders/orderEvents.ts';
import {
  eventTypeFilter,
  FILTER_MAX_BYTES,
  filterAdmits,
  filteredSubscription,
  isGenerationOf,
  pushSubscriptionName,
  SubscriptionFilterError,
} from '../src/pubsub/topology.ts';

const knownTypes = [...productEventTypes, ...customerEventTypes, ...orderEventTypes, ...paymentWorkflowEventTypes].map(
  (definition) => definition.type,
);

describe('subscription filters', () => {
  it('are exact when they fit: one equality per type the projection reads', () => {
    expect(eventTypeFilter(['OrderPlaced', 'OrderCancelled'])).toBe(
      'attributes.type = "OrderCancelled" OR attributes.type = "OrderPlaced"',
    );
  });

  it('group types by their leading word when the exact filter is longer than Pub/Sub allows', () => {
    const types = [
      'ProductAdded',
      'ProductPriceChanged',
      'ProductRestocked',
      'StockReserved',
      'StockReservationReleased',
      'ReservedStockShipped',
    ];
    const long = types.map((t) => `${t}WithAVeryLongSuffix`);
    const filter = eventTypeFilter(long);
    expect(filter).toBe(
      'hasPrefix(attributes.type, "Product") OR attributes.type = "ReservedStockShippedWithAVeryLongSuffix" OR hasPrefix(attributes.type, "Stock")',
    );
    expect(long.every((type) => filterAdmits(filter, type))).toBe(true);
  });

  it('refuse what they cannot express', () => {
    expect(() => eventTypeFilter([])).toThrow(SubscriptionFilterError);
    expect(() => eventTypeFilter(['Order" OR attributes.type = "X'])).toThrow(SubscriptionFilterError);
    const many = Array.from({ length: 20 }, (_, i) => `Word${i}HappenedToSomethingElse`);
    expect(() => eventTypeFilter(many)).toThrow(/longer than Pub\/Sub's 256 bytes/);
  });

  it.each(Object.entries(projectors))('let %s receive exactly the known types it reads', (_name, projection) => {
    const filter = eventTypeFilter(projection.eventTypes);
    expect(Buffer.byteLength(filter)).toBeLessThanOrEqual(FILTER_MAX_BYTES);
    expect(knownTypes.filter((type) => filterAdmits(filter, type)).sort()).toEqual([...projection.eventTypes].sort());
  });

  it('name each filter generation after the projector and a digest of its filter', () => {
    const plain = pushSubscriptionName('projectSalesDashboard');
    const current = filteredSubscription(plain, ['OrderPlaced', 'OrderCancelled']);
    const reordered = filteredSubscription(plain, ['OrderCancelled', 'OrderPlaced', 'OrderPlaced']);
    const other = filteredSubscription(plain, ['OrderPlaced']);
    expect(current.name).toMatch(/^projector-sales-dashboard-f[0-9a-f]{8}$/);
    expect(reordered).toEqual(current);
    expect(other.name).not.toBe(current.name);
    expect(isGenerationOf(plain, plain)).toBe(true);
    expect(isGenerationOf(plain, other.name)).toBe(true);
    expect(isGenerationOf(plain, `${plain}-dead-letters`)).toBe(false);
    expect(isGenerationOf(pushSubscriptionName('projectOrderDetails'), current.name)).toBe(false);
  });
});
