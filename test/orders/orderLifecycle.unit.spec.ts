import { describe, expect, it } from 'vitest';
import type { CancelOrder } from '../../src/orders/cancelOrder.ts';
import { confirmOrderPayment, type ConfirmOrderPayment } from '../../src/orders/confirmOrderPayment.ts';
import { decideOnOrder } from '../../src/orders/decideOnOrder.ts';
import { evolveOrder, initialOrder } from '../../src/orders/order.ts';
import { InvalidOrderTransitionError, OrderNotFoundError } from '../../src/orders/orderErrors.ts';
import type { OrderEvent } from '../../src/orders/orderEvents.ts';
import type { ShipOrder } from '../../src/orders/shipOrder.ts';
import { commandSpec } from '../support/deciderSpec.ts';
import {
  line,
  orderCancelled,
  orderPaymentConfirmed,
  orderPlaced,
  orderShipped,
  productAdded,
  productDiscontinued,
  reservedStockShipped,
  stockReservationReleased,
  stockReserved,
  T1,
  T2,
} from '../support/shopFixtures.ts';

// Two kettles at 25.00 and a mug at 9.00, placed by c1; another order, o2, also holds a mug.
const lines = [line('kettle', 2, 2500), line('mug', 1, 900)];
const placed = orderPlaced('o1', 'c1', lines);
const paid = orderPaymentConfirmed('o1', 'c1', 5900, { paymentReference: 'pay-123', paidAt: T1 });
const shipped = orderShipped('o1', 'c1', lines);

const productsWithReservations = {
  'product-kettle': [productAdded('kettle', 2500, 10), stockReserved('kettle', 'o1', 2)],
  'product-mug': [productAdded('mug', 900, 3), stockReserved('mug', 'o2', 1), stockReserved('mug', 'o1', 1)],
};
const productsAfterShipping = {
  'product-kettle': [...productsWithReservations['product-kettle'], reservedStockShipped('kettle', 'o1', 2)],
  'product-mug': [...productsWithReservations['product-mug'], reservedStockShipped('mug', 'o1', 1)],
};
const productsAfterRelease = {
  'product-kettle': [...productsWithReservations['product-kettle'], stockReservationReleased('kettle', 'o1', 2)],
  'product-mug': [...productsWithReservations['product-mug'], stockReservationReleased('mug', 'o1', 1)],
};

const placedOrder = { 'order-o1': [placed], ...productsWithReservations };
const paidOrder = { 'order-o1': [placed, paid], ...productsWithReservations };
const shippedOrder = { 'order-o1': [placed, paid, shipped], ...productsAfterShipping };
const cancelledOrder = {
  'order-o1': [placed, orderCancelled('o1', 'c1', lines, 'PLACED')],
  ...productsAfterRelease,
};

/** The error a lifecycle decision rejects with, to check what it tells the caller beyond its code. */
function rejection(events: OrderEvent[], command: ConfirmOrderPayment): unknown {
  try {
    confirmOrderPayment(command, events.reduce(evolveOrder, initialOrder()));
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('ConfirmOrderPayment', () => {
  const spec = commandSpec(decideOnOrder);
  const confirm: ConfirmOrderPayment = { type: 'ConfirmOrderPayment', orderId: 'o1', paymentReference: 'pay-123', paidAt: T1 };

  it('confirms the payment of a placed order for its total, touching no stock', async () => {
    await spec
      .given(placedOrder)
      .when(confirm)
      .then({ 'order-o1': [paid] }, { orderId: 'o1', streamId: 'order-o1', version: 2, status: 'PAID' });
  });

  it.each([
    ['PAID', paidOrder],
    ['SHIPPED', shippedOrder],
    ['CANCELLED', cancelledOrder],
  ])('refuses to confirm the payment of a %s order', async (_status, given) => {
    await spec.given(given).when(confirm).thenThrows(InvalidOrderTransitionError, 'ORDER.INVALID_TRANSITION');
  });

  it('says which status refused which action', () => {
    expect(rejection([placed, paid], confirm)).toMatchObject({
      code: 'ORDER.INVALID_TRANSITION',
      orderId: 'o1',
      status: 'PAID',
      action: 'CONFIRM_PAYMENT',
    });
  });

  it('refuses an unknown order', async () => {
    await spec.given({}).when(confirm).thenThrows(OrderNotFoundError, 'ORDER.NOT_FOUND');
  });
});

describe('ShipOrder', () => {
  const spec = commandSpec(decideOnOrder);
  const ship: ShipOrder = { type: 'ShipOrder', orderId: 'o1', shippedAt: T2 };

  it('ships a paid order and moves exactly its reserved units to sold, on every product of the order', async () => {
    await spec
      .given(paidOrder)
      .when(ship)
      .then(
        {
          'order-o1': [shipped],
          'product-kettle': [reservedStockShipped('kettle', 'o1', 2)],
          'product-mug': [reservedStockShipped('mug', 'o1', 1)],
        },
        { orderId: 'o1', streamId: 'order-o1', version: 3, status: 'SHIPPED' },
      );
  });

  it('ships a product that was discontinued after the order was placed', async () => {
    await spec
      .given({
        ...paidOrder,
        'product-mug': [...productsWithReservations['product-mug'], productDiscontinued('mug')],
      })
      .when(ship)
      .then({
        'order-o1': [shipped],
        'product-kettle': [reservedStockShipped('kettle', 'o1', 2)],
        'product-mug': [reservedStockShipped('mug', 'o1', 1)],
      });
  });

  it.each([
    ['PLACED', placedOrder],
    ['SHIPPED', shippedOrder],
    ['CANCELLED', cancelledOrder],
  ])('refuses to ship a %s order', async (_status, given) => {
    await spec.given(given).when(ship).thenThrows(InvalidOrderTransitionError, 'ORDER.INVALID_TRANSITION');
  });

  it('refuses an unknown order', async () => {
    await spec.given({}).when(ship).thenThrows(OrderNotFoundError, 'ORDER.NOT_FOUND');
  });
});

describe('CancelOrder', () => {
  const spec = commandSpec(decideOnOrder);
  const cancel: CancelOrder = { type: 'CancelOrder', orderId: 'o1', reason: 'changed my mind', cancelledAt: T2 };
  const releases = {
    'product-kettle': [stockReservationReleased('kettle', 'o1', 2)],
    'product-mug': [stockReservationReleased('mug', 'o1', 1)],
  };

  it('cancels a placed order and releases exactly its reserved units', async () => {
    await spec
      .given(placedOrder)
      .when(cancel)
      .then(
        { 'order-o1': [orderCancelled('o1', 'c1', lines, 'PLACED')], ...releases },
        { orderId: 'o1', streamId: 'order-o1', version: 2, status: 'CANCELLED' },
      );
  });

  it('cancels a paid order, recording that it was paid, and releases its stock', async () => {
    await spec
      .given(paidOrder)
      .when(cancel)
      .then({ 'order-o1': [orderCancelled('o1', 'c1', lines, 'PAID')], ...releases }, { orderId: 'o1', version: 3, status: 'CANCELLED' });
  });

  it('cancels only an unpaid order when asked to (the payment workflow): a paid one refuses, with its status', async () => {
    await spec
      .given(placedOrder)
      .when({ ...cancel, onlyIfUnpaid: true })
      .then({ 'order-o1': [orderCancelled('o1', 'c1', lines, 'PLACED')], ...releases }, { status: 'CANCELLED' });
    await spec
      .given(paidOrder)
      .when({ ...cancel, onlyIfUnpaid: true })
      .thenThrows(InvalidOrderTransitionError, 'ORDER.INVALID_TRANSITION');
  });

  it('carries what readers need: customer, lines, total, when placed, the reason', async () => {
    await spec
      .given(placedOrder)
      .when({ ...cancel, reason: 'out of budget' })
      .then({
        'order-o1': [
          {
            type: 'OrderCancelled',
            data: {
              orderId: 'o1',
              customerId: 'c1',
              lines,
              totalCents: 5900,
              placedAt: placed.data.placedAt,
              previousStatus: 'PLACED',
              reason: 'out of budget',
              cancelledAt: T2,
            },
          },
        ],
        ...releases,
      });
  });

  it('releases stock of a product discontinued after the order was placed', async () => {
    await spec
      .given({ ...placedOrder, 'product-kettle': [...productsWithReservations['product-kettle'], productDiscontinued('kettle')] })
      .when(cancel)
      .then({ 'order-o1': [orderCancelled('o1', 'c1', lines, 'PLACED')], ...releases });
  });

  it.each([
    ['SHIPPED', shippedOrder],
    ['CANCELLED', cancelledOrder],
  ])('refuses to cancel a %s order', async (_status, given) => {
    await spec.given(given).when(cancel).thenThrows(InvalidOrderTransitionError, 'ORDER.INVALID_TRANSITION');
  });

  it('refuses an unknown order', async () => {
    await spec.given({}).when(cancel).thenThrows(OrderNotFoundError, 'ORDER.NOT_FOUND');
  });
});
