import { describe, it } from 'vitest';
import { InsufficientStockError, ProductDiscontinuedError, ProductNotFoundError } from '../../src/catalog/productErrors.ts';
import { CustomerNotFoundError } from '../../src/customers/customerErrors.ts';
import { OrderAlreadyPlacedError, OrderHasNoLinesError } from '../../src/orders/orderErrors.ts';
import { decideOnNewOrder } from '../../src/orders/decideOnOrder.ts';
import { orderDecider } from '../../src/orders/orderDecider.ts';
import type { PlaceOrder, PlaceOrderRequest } from '../../src/orders/placeOrder.ts';
import { commandSpec, deciderSpec } from '../support/deciderSpec.ts';
import { customerRegistered, line, orderPlaced, productAdded, productPriceChanged, stockReserved, T0 } from '../support/shopFixtures.ts';

const spec = commandSpec(decideOnNewOrder);

const placeOrder: PlaceOrderRequest = {
  type: 'PlaceOrder',
  orderId: 'o1',
  customerId: 'c1',
  lines: [
    { productId: 'kettle', quantity: 2 },
    { productId: 'mug', quantity: 1 },
  ],
  placedAt: T0,
};

const shop = {
  'customer-c1': [customerRegistered('c1')],
  'product-kettle': [productAdded('kettle', 2500, 10)],
  'product-mug': [productAdded('mug', 900, 3)],
};

describe('PlaceOrder', () => {
  it('places the order at catalog prices and reserves the stock of every product in it', async () => {
    await spec
      .given(shop)
      .when(placeOrder)
      .then(
        {
          'order-o1': [orderPlaced('o1', 'c1', [line('kettle', 2, 2500), line('mug', 1, 900)])],
          'product-kettle': [stockReserved('kettle', 'o1', 2)],
          'product-mug': [stockReserved('mug', 'o1', 1)],
        },
        { orderId: 'o1', streamId: 'order-o1', version: 1, totalCents: 5900 },
      );
  });

  it('uses the current price after a price change', async () => {
    await spec
      .given({
        ...shop,
        'product-mug': [productAdded('mug', 900, 3), productPriceChanged('mug', 1100, 900)],
      })
      .when({ ...placeOrder, lines: [{ productId: 'mug', quantity: 1 }] })
      .then({
        'order-o1': [orderPlaced('o1', 'c1', [line('mug', 1, 1100)])],
        'product-mug': [stockReserved('mug', 'o1', 1)],
      });
  });

  it('merges lines for the same product', async () => {
    await spec
      .given(shop)
      .when({
        ...placeOrder,
        lines: [
          { productId: 'mug', quantity: 1 },
          { productId: 'mug', quantity: 2 },
        ],
      })
      .then({
        'order-o1': [orderPlaced('o1', 'c1', [line('mug', 3, 900)])],
        'product-mug': [stockReserved('mug', 'o1', 3)],
      });
  });

  it('refuses more units than are available, counting reservations of other orders', async () => {
    await spec
      .given({ ...shop, 'product-mug': [productAdded('mug', 900, 3), stockReserved('mug', 'o0', 2)] })
      .when({ ...placeOrder, lines: [{ productId: 'mug', quantity: 2 }] })
      .thenThrows(InsufficientStockError, 'PRODUCT.INSUFFICIENT_STOCK');
  });

  it('refuses an unknown product', async () => {
    await spec
      .given(shop)
      .when({ ...placeOrder, lines: [{ productId: 'ghost', quantity: 1 }] })
      .thenThrows(ProductNotFoundError, 'PRODUCT.NOT_FOUND');
  });

  it('refuses a discontinued product', async () => {
    await spec
      .given({ ...shop, 'product-mug': [productAdded('mug', 900, 3), { type: 'ProductDiscontinued', data: { productId: 'mug' } }] })
      .when(placeOrder)
      .thenThrows(ProductDiscontinuedError, 'PRODUCT.DISCONTINUED');
  });

  it('refuses an unregistered customer', async () => {
    await spec
      .given({ ...shop, 'customer-c1': [] })
      .when(placeOrder)
      .thenThrows(CustomerNotFoundError, 'CUSTOMER.NOT_FOUND');
  });

  it('refuses to place the same order twice', async () => {
    await spec
      .given({ ...shop, 'order-o1': [orderPlaced('o1', 'c1', [line('mug', 1, 900)])] })
      .when(placeOrder)
      .thenThrows(OrderAlreadyPlacedError, 'ORDER.ALREADY_PLACED');
  });

  it('refuses an order without lines', async () => {
    await spec
      .given(shop)
      .when({ ...placeOrder, lines: [] })
      .thenThrows(OrderHasNoLinesError, 'ORDER.NO_LINES');
  });
});

describe('PlaceOrder, on the order stream alone', () => {
  const spec = deciderSpec(orderDecider);
  const lines = [line('kettle', 2, 2500), line('mug', 1, 900)];
  const priced: PlaceOrder = { type: 'PlaceOrder', orderId: 'o1', customerId: 'c1', lines, placedAt: T0, reservedIn: [] };

  it('records the lines as priced, and their total', () => {
    spec
      .given([])
      .when(priced)
      .then([orderPlaced('o1', 'c1', lines)]);
  });

  it('refuses to place the same order twice', () => {
    spec
      .given([orderPlaced('o1', 'c1', lines)])
      .when(priced)
      .thenThrows(OrderAlreadyPlacedError, 'ORDER.ALREADY_PLACED');
  });

  it('refuses an order without lines', () => {
    spec
      .given([])
      .when({ ...priced, lines: [] })
      .thenThrows(OrderHasNoLinesError, 'ORDER.NO_LINES');
  });
});
