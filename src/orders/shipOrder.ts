/** ShipOrder: a paid order leaves the warehouse; its reserved units become sold. */
import { initialProduct, type Product } from '../catalog/product.ts';
import type { ProductEvent } from '../catalog/productEvents.ts';
import { shipReservedStock } from '../catalog/stockCommands.ts';
import type { Decision, StreamLoader } from '../core/commandHandler.ts';
import { existingOrder, orderEvolution, type Order } from './order.ts';
import type { OrderCommandResult } from './orderCommandResult.ts';
import { InvalidOrderTransitionError } from './orderErrors.ts';
import { orderStreamId, type OrderShipped } from './orderEvents.ts';
import { loadOrderProducts, productAppends } from './orderStock.ts';

export interface ShipOrder {
  readonly type: 'ShipOrder';
  readonly orderId: string;
  readonly shippedAt: string;
}

export function decideShipOrder(
  command: ShipOrder,
  state: { order: Order; products: ReadonlyMap<string, Product> },
): { order: OrderShipped[]; products: Map<string, ProductEvent[]> } {
  const order = existingOrder(state.order, command.orderId);
  if (order.status !== 'PAID') throw new InvalidOrderTransitionError(command.orderId, order.status, 'SHIP');
  const products = new Map<string, ProductEvent[]>();
  for (const productId of new Set(order.lines.map((l) => l.productId))) {
    const product = state.products.get(productId) ?? initialProduct();
    products.set(productId, shipReservedStock({ type: 'ShipReservedStock', productId, orderId: order.orderId }, product));
  }
  return {
    order: [
      {
        type: 'OrderShipped',
        data: {
          orderId: order.orderId,
          customerId: order.customerId,
          lines: order.lines,
          placedAt: order.placedAt,
          shippedAt: command.shippedAt,
        },
      },
    ],
    products,
  };
}

export async function shipOrderDecision(command: ShipOrder, load: StreamLoader): Promise<Decision<OrderCommandResult>> {
  const streamId = orderStreamId(command.orderId);
  const order = await load.aggregate(streamId, orderEvolution);
  const lines = order.state.status === 'NONE' ? [] : order.state.lines;
  const events = decideShipOrder(command, { order: order.state, products: await loadOrderProducts(lines, load) });
  return {
    appends: [{ streamId, events: events.order }, ...productAppends(events.products)],
    result: { orderId: command.orderId, streamId, version: order.version + events.order.length, status: 'SHIPPED' },
  };
}
