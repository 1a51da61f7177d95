/**
 * A product's stock split over buckets: restock and discontinue over every bucket (decideOnProductStock),
 * and how a bucket's units are counted. The orders' side (reserve, release, ship) is in test/orders.
 */
import { describe, expect, it } from 'vitest';
import { decideOnProductStock, roundRobinBuckets } from '../../src/catalog/decideOnProductStock.ts';
import { evolveProduct, existingProduct, initialProduct } from '../../src/catalog/product.ts';
import { ProductNotFoundError } from '../../src/catalog/productErrors.ts';
import { type ProductEvent, stockBucketStreamId } from '../../src/catalog/productEvents.ts';
import { bucketAvailableUnits, evolveStockBucket, initialShare, initialStockBucket } from '../../src/catalog/stockBucket.ts';
import { commandSpec } from '../support/deciderSpec.ts';
import {
  bucketedProductAdded,
  productAdded,
  productDiscontinued,
  productRestocked,
  reservedStockShipped,
  stockReservationReleased,
  stockReserved,
} from '../support/shopFixtures.ts';

const spec = commandSpec(decideOnProductStock);
const bucket = (n: number) => stockBucketStreamId('kettle', n);

// 10 kettles over 4 buckets: 3, 3, 2, 2.
const kettle = { 'product-kettle': [bucketedProductAdded('kettle', 2500, 10, 4)] };

describe('initial shares', () => {
  it('split the initial stock equally, the first buckets taking the odd units, and add up to it', () => {
    expect([0, 1, 2, 3].map((b) => initialShare(10, 4, b))).toEqual([3, 3, 2, 2]);
    expect([0, 1, 2].map((b) => initialShare(2, 3, b))).toEqual([1, 1, 0]);
  });

  it('count restocks in, and reservations and shipments out', () => {
    const product = existingProduct(kettle['product-kettle'].reduce(evolveProduct, initialProduct()), 'kettle');
    const events: ProductEvent[] = [
      productRestocked('kettle', 5),
      stockReserved('kettle', 'o1', 2),
      stockReserved('kettle', 'o2', 1),
      reservedStockShipped('kettle', 'o1', 2),
      stockReservationReleased('kettle', 'o2', 1),
    ];
    const state = events.reduce(evolveStockBucket, initialStockBucket());
    // 3 of the initial stock + 5 restocked - 2 shipped; o2's unit is back.
    expect(bucketAvailableUnits(product, 0, state)).toBe(6);
  });
});

describe('RestockProduct, over buckets', () => {
  it('shares the units out equally over the buckets', async () => {
    await spec
      .given(kettle)
      .when({ type: 'RestockProduct', productId: 'kettle', quantity: 8 })
      .then(
        {
          [bucket(0)]: [productRestocked('kettle', 2)],
          [bucket(1)]: [productRestocked('kettle', 2)],
          [bucket(2)]: [productRestocked('kettle', 2)],
          [bucket(3)]: [productRestocked('kettle', 2)],
        },
        // Nothing on the product stream: its consistency token stays where it was.
        { streamId: 'product-kettle', version: 1 },
      );
  });

  it('gives the odd units to the buckets with the fewest available, and none to a bucket when there are fewer units than buckets', async () => {
    await spec
      .given({ ...kettle, [bucket(0)]: [stockReserved('kettle', 'o1', 3)], [bucket(3)]: [stockReserved('kettle', 'o2', 1)] })
      .when({ type: 'RestockProduct', productId: 'kettle', quantity: 2 })
      .then({
        // Available before: 0, 3, 2, 1.
        [bucket(0)]: [productRestocked('kettle', 1)],
        [bucket(3)]: [productRestocked('kettle', 1)],
      });
  });

  it('restocks a product from before buckets on its own stream', async () => {
    await spec
      .given({ 'product-mug': [productAdded('mug', 900, 3)] })
      .when({ type: 'RestockProduct', productId: 'mug', quantity: 4 })
      .then({ 'product-mug': [productRestocked('mug', 4)] }, { streamId: 'product-mug', version: 2 });
  });

  it('refuses an unknown product', async () => {
    await spec
      .given({})
      .when({ type: 'RestockProduct', productId: 'kettle', quantity: 1 })
      .thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });
});

describe('DiscontinueProduct, over buckets', () => {
  it('is written to the product stream and to every bucket, so an order racing it on any bucket loses', async () => {
    await spec
      .given(kettle)
      .when({ type: 'DiscontinueProduct', productId: 'kettle' })
      .then(
        {
          'product-kettle': [productDiscontinued('kettle')],
          [bucket(0)]: [productDiscontinued('kettle')],
          [bucket(1)]: [productDiscontinued('kettle')],
          [bucket(2)]: [productDiscontinued('kettle')],
          [bucket(3)]: [productDiscontinued('kettle')],
        },
        { streamId: 'product-kettle', version: 2 },
      );
  });

  it('changes nothing for a product already discontinued', async () => {
    const discontinued = {
      'product-kettle': [...kettle['product-kettle'], productDiscontinued('kettle')],
      ...Object.fromEntries([0, 1, 2, 3].map((b) => [bucket(b), [productDiscontinued('kettle')]])),
    };
    await spec.given(discontinued).when({ type: 'DiscontinueProduct', productId: 'kettle' }).then({});
  });
});

describe('picking the first bucket', () => {
  it('goes round from a random place, so the orders in flight in one instance spread over every bucket', () => {
    const pick = roundRobinBuckets(() => 0.5);
    const picks = Array.from({ length: 8 }, () => pick(4));
    expect(new Set(picks.slice(0, 4)).size).toBe(4);
    expect(picks.slice(4)).toEqual(picks.slice(0, 4));
  });
});
