/**
 * PlaceOrder: the order records its lines at the catalog's names and prices of the moment, never the
 * client's. The customer asks with products and quantities only (PlaceOrderRequest); decideOnNewOrder
 * (decideOnOrder.ts) prices the lines from the products it reserves stock on, in the same commit, and the
 * order records which stock buckets hold its units.
 */
import type { Order } from './order.ts';
import { OrderAlreadyPlacedError, OrderHasNoLinesError } from './orderErrors.ts';
import type { OrderLine, OrderPlaced, ReservedBuckets } from './orderEvents.ts';

export interface PlaceOrder {
  readonly type: 'PlaceOrder';
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLine[];
  readonly placedAt: string;
  /** The stock buckets each bucketed product reserved the order's units in, in the same commit. */
  readonly reservedIn: readonly ReservedBuckets[];
}

/** What the customer asks for: which products, how many of each. */
export type PlaceOrderRequest = Omit<PlaceOrder, 'lines' | 'reservedIn'> & {
  readonly lines: ReadonlyArray<Pick<OrderLine, 'productId' | 'quantity'>>;
};

export function placeOrder(command: PlaceOrder, state: Order): OrderPlaced[] {
  if (state.status !== 'NONE') throw new OrderAlreadyPlacedError(command.orderId);
  if (command.lines.length === 0) throw new OrderHasNoLinesError(command.orderId);
  const { orderId, customerId, lines, placedAt, reservedIn } = command;
  const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  return [{ type: 'OrderPlaced', data: { orderId, customerId, lines, totalCents, placedAt, reservedIn } }];
}
