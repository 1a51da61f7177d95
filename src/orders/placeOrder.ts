/**
 * PlaceOrder: one decision over the order, the customer and every product in it. Prices come from
 * the catalog at this moment, never from the client; each product reserves its units. The order's
 * events and every product's reservation are appended in one atomic commit, so either the order
 * exists with all its stock reserved, or nothing happened (see README, "No overselling").
 */
import { initialProduct, productEvolution, type Product } from '../catalog/product.ts';
import { productStreamId, type ProductEvent } from '../catalog/productEvents.ts';
import { reserveStock } from '../catalog/stockCommands.ts';
import type { Decision, StreamLoader } from '../core/commandHandler.ts';
import { evolveCustomer, initialCustomer, type Customer } from '../customers/customer.ts';
import { CustomerNotFoundError } from '../customers/customerErrors.ts';
import { customerStreamId } from '../customers/customerEvents.ts';
import { orderEvolution, type Order } from './order.ts';
import { OrderAlreadyPlacedError, OrderHasNoLinesError } from './orderErrors.ts';
import { orderStreamId, type OrderLine, type OrderPlaced } from './orderEvents.ts';

export interface PlaceOrder {
  readonly type: 'PlaceOrder';
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>;
  readonly placedAt: string;
}

export interface PlaceOrderState {
  readonly order: Order;
  readonly customer: Customer;
  readonly products: ReadonlyMap<string, Product>;
}

export interface PlaceOrderEvents {
  readonly order: OrderPlaced[];
  readonly products: ReadonlyMap<string, ProductEvent[]>;
}

/** The same product on two lines is one line with both quantities. */
export function mergeLines(lines: PlaceOrder['lines']): Array<{ productId: string; quantity: number }> {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of lines) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

export function decidePlaceOrder(command: PlaceOrder, state: PlaceOrderState): PlaceOrderEvents {
  if (state.order.status !== 'NONE') throw new OrderAlreadyPlacedError(command.orderId);
  if (command.lines.length === 0) throw new OrderHasNoLinesError(command.orderId);
  if (state.customer.status === 'none') throw new CustomerNotFoundError(command.customerId);

  const lines: OrderLine[] = [];
  const products = new Map<string, ProductEvent[]>();
  for (const { productId, quantity } of mergeLines(command.lines)) {
    const product = state.products.get(productId) ?? initialProduct();
    const reserved = reserveStock({ type: 'ReserveStock', productId, orderId: command.orderId, quantity }, product);
    // reserveStock has checked that the product exists and is active.
    const { name, priceCents } = product as Exclude<Product, { status: 'none' }>;
    lines.push({ productId, productName: name, quantity, unitPriceCents: priceCents });
    products.set(productId, reserved);
  }
  const totalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  return {
    order: [
      {
        type: 'OrderPlaced',
        data: { orderId: command.orderId, customerId: command.customerId, lines, totalCents, placedAt: command.placedAt },
      },
    ],
    products,
  };
}

export interface PlaceOrderResult {
  readonly orderId: string;
  readonly streamId: string;
  readonly version: number;
  readonly totalCents: number;
}

/** Loads what PlaceOrder decides on and turns its events into per-stream appends. */
export async function placeOrderDecision(command: PlaceOrder, load: StreamLoader): Promise<Decision<PlaceOrderResult>> {
  const productIds = mergeLines(command.lines).map((l) => l.productId);
  const [order, customer, ...products] = await Promise.all([
    load.aggregate(orderStreamId(command.orderId), orderEvolution),
    load.aggregate(customerStreamId(command.customerId), { evolve: evolveCustomer, initialState: initialCustomer }),
    ...productIds.map((id) => load.aggregate(productStreamId(id), productEvolution)),
  ]);
  const events = decidePlaceOrder(command, {
    order: order.state,
    customer: customer.state,
    products: new Map(productIds.map((id, i) => [id, products[i]!.state])),
  });
  return {
    appends: [
      { streamId: orderStreamId(command.orderId), events: events.order },
      ...[...events.products].map(([id, productEvents]) => ({ streamId: productStreamId(id), events: productEvents })),
    ],
    result: {
      orderId: command.orderId,
      streamId: orderStreamId(command.orderId),
      version: order.version + events.order.length,
      totalCents: events.order[0]!.data.totalCents,
    },
  };
}

