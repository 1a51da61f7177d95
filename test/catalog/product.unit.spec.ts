import { describe, expect, it } from 'vitest';
import { availableUnits, evolveProduct, existingProduct, initialProduct, reservedUnits } from '../../src/catalog/product.ts';
import { productDecider, type ProductCommand } from '../../src/catalog/productDecider.ts';
import {
  InsufficientStockError,
  ProductAlreadyExistsError,
  ProductDiscontinuedError,
  ProductNotFoundError,
} from '../../src/catalog/productErrors.ts';
import type { ProductEvent } from '../../src/catalog/productEvents.ts';
import { deciderSpec } from '../support/deciderSpec.ts';
import {
  bucketedProductAdded,
  productAdded,
  productDiscontinued,
  productPriceChanged,
  productRestocked,
  reservedStockShipped,
  stockReservationReleased,
  stockReserved,
} from '../support/shopFixtures.ts';

const spec = deciderSpec(productDecider);

const kettleAdded = productAdded('kettle', 2500, 10, 'Kettle');

function stateAfter(events: ProductEvent[]) {
  return existingProduct(events.reduce(evolveProduct, initialProduct()), 'kettle');
}

/** The error a command is rejected with, to check what it tells the caller beyond its code. */
function rejection(events: ProductEvent[], command: ProductCommand): unknown {
  try {
    productDecider.decide(command, events.reduce(evolveProduct, initialProduct()));
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('AddProduct', () => {
  const addKettle: ProductCommand = {
    type: 'AddProduct',
    productId: 'kettle',
    name: 'Kettle',
    priceCents: 2500,
    currency: 'EUR',
    initialStock: 10,
    lowStockThreshold: 5,
    stockBuckets: 4,
  };

  it('adds a new product with its price, initial stock, low-stock threshold and stock buckets', () => {
    spec
      .given([])
      .when(addKettle)
      .then([bucketedProductAdded('kettle', 2500, 10, 4, 'Kettle')]);
  });

  it('refuses to add a product that already exists', () => {
    spec.given([kettleAdded]).when(addKettle).thenThrows(ProductAlreadyExistsError, 'PRODUCT.ALREADY_EXISTS');
  });

  it('refuses to add a product again after it was discontinued', () => {
    spec
      .given([kettleAdded, productDiscontinued('kettle')])
      .when(addKettle)
      .thenThrows(ProductAlreadyExistsError, 'PRODUCT.ALREADY_EXISTS');
  });
});

describe('ChangeProductPrice', () => {
  it('changes the price and records the previous one', () => {
    spec
      .given([kettleAdded])
      .when({ type: 'ChangeProductPrice', productId: 'kettle', priceCents: 2900 })
      .then([productPriceChanged('kettle', 2900, 2500)]);
  });

  it('records the latest price as the previous one after earlier changes', () => {
    spec
      .given([kettleAdded, productPriceChanged('kettle', 2900, 2500)])
      .when({ type: 'ChangeProductPrice', productId: 'kettle', priceCents: 2700 })
      .then([productPriceChanged('kettle', 2700, 2900)]);
  });

  it('records nothing when the price is the same', () => {
    spec.given([kettleAdded]).when({ type: 'ChangeProductPrice', productId: 'kettle', priceCents: 2500 }).then([]);
  });

  it('records nothing when the price is changed back to what it already is', () => {
    spec
      .given([kettleAdded, productPriceChanged('kettle', 2900, 2500)])
      .when({ type: 'ChangeProductPrice', productId: 'kettle', priceCents: 2900 })
      .then([]);
  });

  it('refuses to reprice a discontinued product', () => {
    spec
      .given([kettleAdded, productDiscontinued('kettle')])
      .when({ type: 'ChangeProductPrice', productId: 'kettle', priceCents: 2900 })
      .thenThrows(ProductDiscontinuedError, 'PRODUCT.DISCONTINUED');
  });

  it('refuses an unknown product', () => {
    spec
      .given([])
      .when({ type: 'ChangeProductPrice', productId: 'kettle', priceCents: 2900 })
      .thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });
});

describe('RestockProduct', () => {
  it('adds units on hand', () => {
    spec
      .given([kettleAdded])
      .when({ type: 'RestockProduct', productId: 'kettle', quantity: 5 })
      .then([productRestocked('kettle', 5)]);
  });

  it('restocks a discontinued product too: the units on the shelf are real either way', () => {
    spec
      .given([kettleAdded, productDiscontinued('kettle')])
      .when({ type: 'RestockProduct', productId: 'kettle', quantity: 5 })
      .then([productRestocked('kettle', 5)]);
  });

  it('refuses an unknown product', () => {
    spec.given([]).when({ type: 'RestockProduct', productId: 'kettle', quantity: 5 }).thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });
});

describe('DiscontinueProduct', () => {
  it('discontinues an active product', () => {
    spec
      .given([kettleAdded])
      .when({ type: 'DiscontinueProduct', productId: 'kettle' })
      .then([productDiscontinued('kettle')]);
  });

  it('records nothing when the product is already discontinued', () => {
    spec
      .given([kettleAdded, productDiscontinued('kettle')])
      .when({ type: 'DiscontinueProduct', productId: 'kettle' })
      .then([]);
  });

  it('refuses an unknown product', () => {
    spec.given([]).when({ type: 'DiscontinueProduct', productId: 'kettle' }).thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });
});

describe('ReserveStock', () => {
  const reserve = (orderId: string, quantity: number): ProductCommand => ({ type: 'ReserveStock', productId: 'kettle', orderId, quantity });

  it('reserves units for an order', () => {
    spec
      .given([kettleAdded])
      .when(reserve('o1', 3))
      .then([stockReserved('kettle', 'o1', 3)]);
  });

  it('reserves every available unit', () => {
    spec
      .given([kettleAdded])
      .when(reserve('o1', 10))
      .then([stockReserved('kettle', 'o1', 10)]);
  });

  it('refuses more units than are available, saying how many are', () => {
    spec.given([kettleAdded]).when(reserve('o1', 11)).thenThrows(InsufficientStockError, 'PRODUCT.INSUFFICIENT_STOCK');
    expect(rejection([kettleAdded], reserve('o1', 11))).toMatchObject({ productId: 'kettle', requested: 11, available: 10 });
  });

  it("counts other orders' reservations as unavailable", () => {
    const given = [kettleAdded, stockReserved('kettle', 'o1', 4)];
    spec
      .given(given)
      .when(reserve('o2', 6))
      .then([stockReserved('kettle', 'o2', 6)]);
    spec.given(given).when(reserve('o2', 7)).thenThrows(InsufficientStockError, 'PRODUCT.INSUFFICIENT_STOCK');
    expect(rejection(given, reserve('o2', 7))).toMatchObject({ requested: 7, available: 6 });
  });

  it('counts restocked units as available', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 10), productRestocked('kettle', 3)])
      .when(reserve('o2', 3))
      .then([stockReserved('kettle', 'o2', 3)]);
  });

  it('makes released units available again', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 10), stockReservationReleased('kettle', 'o1', 10)])
      .when(reserve('o2', 10))
      .then([stockReserved('kettle', 'o2', 10)]);
  });

  it('does not give shipped units back: they left the warehouse', () => {
    const given = [kettleAdded, stockReserved('kettle', 'o1', 4), reservedStockShipped('kettle', 'o1', 4)];
    spec
      .given(given)
      .when(reserve('o2', 6))
      .then([stockReserved('kettle', 'o2', 6)]);
    spec.given(given).when(reserve('o2', 7)).thenThrows(InsufficientStockError, 'PRODUCT.INSUFFICIENT_STOCK');
  });

  it('refuses to reserve a discontinued product', () => {
    spec
      .given([kettleAdded, productDiscontinued('kettle')])
      .when(reserve('o1', 1))
      .thenThrows(ProductDiscontinuedError, 'PRODUCT.DISCONTINUED');
  });

  it('refuses an unknown product', () => {
    spec.given([]).when(reserve('o1', 1)).thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });
});

describe('ReleaseStock', () => {
  const release = (orderId: string): ProductCommand => ({ type: 'ReleaseStock', productId: 'kettle', orderId });

  it("releases exactly the order's reserved units", () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), stockReserved('kettle', 'o2', 3)])
      .when(release('o1'))
      .then([stockReservationReleased('kettle', 'o1', 2)]);
  });

  it('releases every reservation the order made, added up', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), stockReserved('kettle', 'o1', 3)])
      .when(release('o1'))
      .then([stockReservationReleased('kettle', 'o1', 5)]);
  });

  it('records nothing for an order with no reservation', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o2', 3)])
      .when(release('o1'))
      .then([]);
  });

  it('records nothing for a reservation already released', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), stockReservationReleased('kettle', 'o1', 2)])
      .when(release('o1'))
      .then([]);
  });

  it('records nothing for a reservation already shipped', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), reservedStockShipped('kettle', 'o1', 2)])
      .when(release('o1'))
      .then([]);
  });

  it('releases stock of a product discontinued after the reservation', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), productDiscontinued('kettle')])
      .when(release('o1'))
      .then([stockReservationReleased('kettle', 'o1', 2)]);
  });

  it('refuses an unknown product', () => {
    spec.given([]).when(release('o1')).thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });
});

describe('ShipReservedStock', () => {
  const ship = (orderId: string): ProductCommand => ({ type: 'ShipReservedStock', productId: 'kettle', orderId });

  it("ships exactly the order's reserved units", () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), stockReserved('kettle', 'o2', 3)])
      .when(ship('o1'))
      .then([reservedStockShipped('kettle', 'o1', 2)]);
  });

  it('records nothing for an order with no reservation', () => {
    spec.given([kettleAdded]).when(ship('o1')).then([]);
  });

  it('records nothing when the reservation was already shipped', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), reservedStockShipped('kettle', 'o1', 2)])
      .when(ship('o1'))
      .then([]);
  });

  it('records nothing when the reservation was released', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), stockReservationReleased('kettle', 'o1', 2)])
      .when(ship('o1'))
      .then([]);
  });

  it('ships stock of a product discontinued after the reservation', () => {
    spec
      .given([kettleAdded, stockReserved('kettle', 'o1', 2), productDiscontinued('kettle')])
      .when(ship('o1'))
      .then([reservedStockShipped('kettle', 'o1', 2)]);
  });

  it('refuses an unknown product', () => {
    spec.given([]).when(ship('o1')).thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });
});

describe('stock levels', () => {
  it('counts reserved units as on hand but not available, and shipped units as sold', () => {
    const product = stateAfter([
      kettleAdded,
      stockReserved('kettle', 'o1', 2),
      stockReserved('kettle', 'o2', 3),
      stockReserved('kettle', 'o3', 1),
      reservedStockShipped('kettle', 'o2', 3),
      stockReservationReleased('kettle', 'o3', 1),
      productRestocked('kettle', 4),
    ]);
    expect(product).toMatchObject({ onHand: 11, sold: 3, reservations: { o1: 2 } });
    expect(reservedUnits(product)).toBe(2);
    expect(availableUnits(product)).toBe(9);
  });

  it('keeps price, stock and reservations when the product is discontinued', () => {
    const product = stateAfter([kettleAdded, stockReserved('kettle', 'o1', 2), productDiscontinued('kettle')]);
    expect(product).toMatchObject({ status: 'DISCONTINUED', priceCents: 2500, onHand: 10, reservations: { o1: 2 } });
  });
});
