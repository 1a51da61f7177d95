/** CancelOrder: a placed or paid order is called off; its reserved units become available again. */
import { initialProduct, type Product } from '../catalog/product.ts';
import type { ProductEvent } from '../catalog/productEvents.ts';
import { releaseStock } from '../catalog/stockCommands.ts';
import type { Decision, StreamLoader } from '../core/commandHandler.ts';
import { existingOrder, orderEvolution, type Order } from './order.ts';
import type { OrderCommandResult } from './orderCommandResult.ts';
import { InvalidOrderTransitionError } from './orderErrors.ts';
import { orderStreamId, type OrderCancelled } from './orderEvents.ts';
import { loadOrderProducts, productAppends } from './orderStock.ts';

export interface CancelOrder {
  readonly type: 'CancelOrder';
  readonly orderId: string;
  readonly reason: string;
  readonly cancelledAt: string;
}

export function decideCancelOrder(
  command: CancelOrder,
  state: { order: Order; products: ReadonlyMap<string, Product> },
): { order: OrderCancelled[]; products: Map<string, ProductEvent[]> } {
  const order = existingOrder(state.order, command.orderId);
  if (order.status !== 'PLACED' && order.status !== 'PAID') {
    throw new InvalidOrderTransitionError(command.orderId, order.status, 'CANCEL');
  }
  const products = new Map<string, ProductEvent[]>();
  for (const productId of new Set(order.lines.map((l) => l.productId))) {
    const product = state.products.get(productId) ?? initialProduct();
    products.set(productId, releaseStock({ type: 'ReleaseStock', productId, orderId: order.orderId }, product));
  }
  return {
    order: [
      {
        type: 'OrderCancelled',
        data: {
          orderId: order.orderId,
          customerId: order.customerId,
          lines: order.lines,
          totalCents: order.totalCents,
          placedAt: order.placedAt,
          previousStatus: order.status,
          reason: command.reason,
          cancelledAt: command.cancelledAt,
        },
      },
    ],
    products,
  };
}

export async function cancelOrderDecision(command: CancelOrder, load: StreamLoader): Promise<Decision<OrderCommandResult>> {
  const streamId = orderStreamId(command.orderId);
  const order = await load.aggregate(streamId, orderEvolution);
  const lines = order.state.status === 'NONE' ? [] : order.state.lines;
  const events = decideCancelOrder(command, { order: order.state, products: await loadOrderProducts(lines, load) });
  return {
    appends: [{ streamId, events: events.order }, ...productAppends(events.products)],
    result: { orderId: command.orderId, streamId, version: order.version + events.order.length, status: 'CANCELLED' },
  };
}
