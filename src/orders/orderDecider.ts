/**
 * The order decider: which command does what to the order's own stream, over the state and evolve in
 * order.ts. What an order command also does to its products and customer is in decideOnOrder.ts.
 */
import { assertNever, type Decider } from '../core/decider.ts';
import { cancelOrder, type CancelOrder } from './cancelOrder.ts';
import { confirmOrderPayment, type ConfirmOrderPayment } from './confirmOrderPayment.ts';
import { evolveOrder, initialOrder, type Order } from './order.ts';
import type { OrderEvent } from './orderEvents.ts';
import { placeOrder, type PlaceOrder } from './placeOrder.ts';
import { shipOrder, type ShipOrder } from './shipOrder.ts';

/** What happens to an order after it was placed. */
export type OrderLifecycleCommand = ConfirmOrderPayment | ShipOrder | CancelOrder;
export type OrderCommand = PlaceOrder | OrderLifecycleCommand;

export const orderDecider: Decider<OrderCommand, OrderEvent, Order> = {
  decide(command, state) {
    switch (command.type) {
      case 'PlaceOrder':
        return placeOrder(command, state);
      case 'ConfirmOrderPayment':
        return confirmOrderPayment(command, state);
      case 'ShipOrder':
        return shipOrder(command, state);
      case 'CancelOrder':
        return cancelOrder(command, state);
      default:
        return assertNever(command);
    }
  },
  evolve: evolveOrder,
  initialState: initialOrder,
};
