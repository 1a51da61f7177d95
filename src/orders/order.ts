/** The order aggregate: its state, how events evolve it, and which command does what. */
import { assertNever, type Decider } from '../core/decider.ts';
import type { OrderEvent, OrderLine } from './orderEvents.ts';
import { placeOrder, type PlaceOrder } from './placeOrder.ts';

export type Order =
  | { readonly status: 'none' }
  | {
      readonly status: 'placed';
      readonly orderId: string;
      readonly customerId: string;
      readonly lines: readonly OrderLine[];
      readonly totalCents: number;
      readonly placedAt: string;
    };

export type OrderCommand = PlaceOrder;

export const initialOrder = (): Order => ({ status: 'none' });

export function evolveOrder(state: Order, event: OrderEvent): Order {
  switch (event.type) {
    case 'OrderPlaced':
      return { status: 'placed', ...event.data };
    default:
      return assertNever(event.type);
  }
}

export function decideOrder(command: OrderCommand, state: Order): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder':
      return placeOrder(command, state);
    default:
      return assertNever(command.type);
  }
}

export const orderDecider: Decider<OrderCommand, OrderEvent, Order> = {
  decide: decideOrder,
  evolve: evolveOrder,
  initialState: initialOrder,
};
