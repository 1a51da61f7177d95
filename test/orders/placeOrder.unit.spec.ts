import { describe, it } from 'vitest';
import { orderDecider } from '../../src/orders/order.ts';
import { OrderAlreadyPlacedError, OrderHasNoLinesError } from '../../src/orders/orderErrors.ts';
import type { OrderPlaced } from '../../src/orders/orderEvents.ts';
import type { PlaceOrder } from '../../src/orders/placeOrder.ts';
import { deciderSpec } from '../support/deciderSpec.ts';

const spec = deciderSpec(orderDecider);

const placeOrder: PlaceOrder = {
  type: 'PlaceOrder',
  orderId: 'o1',
  customerId: 'c1',
  lines: [
    { productId: 'p1', quantity: 2, unitPriceCents: 1250 },
    { productId: 'p2', quantity: 1, unitPriceCents: 499 },
  ],
  placedAt: '2026-11-29T15:00:00.000Z',
};

const orderPlaced: OrderPlaced = {
  type: 'OrderPlaced',
  data: {
    orderId: 'o1',
    customerId: 'c1',
    lines: placeOrder.lines,
    totalCents: 2 * 1250 + 499,
    placedAt: '2026-11-29T15:00:00.000Z',
  },
};

describe('PlaceOrder', () => {
  it('places a new order with its total computed from the lines', () => {
    spec.given([]).when(placeOrder).then([orderPlaced]);
  });

  it('refuses to place the same order twice', () => {
    spec.given([orderPlaced]).when(placeOrder).thenThrows(OrderAlreadyPlacedError, 'ORDER.ALREADY_PLACED');
  });

  it('refuses an order without lines', () => {
    spec
      .given([])
      .when({ ...placeOrder, lines: [] })
      .thenThrows(OrderHasNoLinesError, 'ORDER.NO_LINES');
  });
});
