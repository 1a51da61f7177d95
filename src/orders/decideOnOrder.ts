/**
 * Order commands over every stream they touch. Each aggregate decides its own part with its own decider:
 * the order decider the order's event, the product decider each product's stock movement, the customer's
 * state whether there is a customer at all. `runCommand` appends all parts in one atomic commit, so an
 * order and the stock it holds never disagree (see docs/consistency.md, "No overselling").
 */
import { type BucketPicker, decideStockMove, defaultBucketPicker, type StreamEvents } from '../catalog/decideOnProductStock.ts';
import { activeProduct, type Product } from '../catalog/product.ts';
import { productDecider, type StockCommand } from '../catalog/productDecider.ts';
import { productStreamId, stockBucketOf } from '../catalog/productEvents.ts';
import type { Decision, StreamLoader } from '../core/commandHandler.ts';
import { assertNever } from '../core/decider.ts';
import { existingCustomer } from '../customers/customer.ts';
import { customerDecider } from '../customers/customerDecider.ts';
import { customerStreamId } from '../customers/customerEvents.ts';
import { bucketsHolding, type ExistingOrder, existingOrder } from './order.ts';
import { orderDecider, type OrderLifecycleCommand } from './orderDecider.ts';
import { orderStreamId, type OrderLine, type OrderStatus, type ReservedBuckets } from './orderEvents.ts';
import type { PlaceOrderRequest } from './placeOrder.ts';

/** What placing an order returns: the order's stream version (a consistency token) and its total. */
export interface PlaceOrderResult {
  readonly orderId: string;
  readonly streamId: string;
  readonly version: number;
  readonly totalCents: number;
}

/** What an order lifecycle command returns: the order's new status and its stream version (a consistency token). */
export interface OrderCommandResult {
  readonly orderId: string;
  readonly streamId: string;
  readonly version: number;
  readonly status: OrderStatus;
}

/**
 * Places an order: the customer must be registered, each product reserves its units (and so must exist,
 * be active and have them), and the order records each line at the price of the product it reserved on.
 * A product whose stock is split over buckets reserves in the bucket `pickBucket` names, or in several; the
 * order records which, so that cancelling or shipping it reads only those.
 */
export function decideOnNewOrder(
  request: PlaceOrderRequest,
  pickBucket: BucketPicker = defaultBucketPicker,
): (load: StreamLoader) => Promise<Decision<PlaceOrderResult>> {
  return async (load) => {
    const requested = mergeLines(request.lines);
    const streamId = orderStreamId(request.orderId);
    const [order, customer, products] = await Promise.all([
      load.aggregate(streamId, orderDecider),
      load.aggregate(customerStreamId(request.customerId), customerDecider),
      loadProducts(
        requested.map((l) => l.productId),
        load,
      ),
    ]);
    existingCustomer(customer.state, request.customerId);

    const reservations = await Promise.all(
      requested.map(({ productId, quantity }) =>
        decideStockMove(
          { type: 'ReserveStock', productId, orderId: request.orderId, quantity },
          products.get(productId)!,
          load,
          pickBucket,
        ),
      ),
    );
    const lines: OrderLine[] = requested.map(({ productId, quantity }) => {
      const { name, priceCents } = activeProduct(products.get(productId)!, productId);
      return { productId, productName: name, quantity, unitPriceCents: priceCents };
    });
    const reservedIn = requested.flatMap(({ productId }, i) => bucketsReservedIn(productId, reservations[i]!));
    const events = orderDecider.decide({ ...request, lines, reservedIn }, order.state);
    const placed = events.find((e) => e.type === 'OrderPlaced')!;
    return {
      appends: [{ streamId, events }, ...reservations.flat()],
      result: { orderId: request.orderId, streamId, version: order.version + events.length, totalCents: placed.data.totalCents },
    };
  };
}

/** Pays, ships or cancels an order; shipping and cancelling move the stock its products hold for it. */
export function decideOnOrder(command: OrderLifecycleCommand): (load: StreamLoader) => Promise<Decision<OrderCommandResult>> {
  return async (load) => {
    const streamId = orderStreamId(command.orderId);
    const { state, version } = await load.aggregate(streamId, orderDecider);
    const events = orderDecider.decide(command, state);
    const order = existingOrder(events.reduce(orderDecider.evolve, state), command.orderId);
    const move = stockMove(command, order);
    const stock: StreamEvents[][] = [];
    if (move) {
      const products = await loadProducts(
        order.lines.map((l) => l.productId),
        load,
      );
      stock.push(...(await Promise.all([...products].map(([productId, product]) => decideStockMove(move(productId), product, load)))));
    }
    return {
      appends: [{ streamId, events }, ...stock.flat()],
      result: { orderId: command.orderId, streamId, version: version + events.length, status: order.status },
    };
  };
}

/**
 * The stock command each product of the order decides, if the order command moves stock: in the buckets the
 * order says hold its units of the product, or in every bucket when it does not say.
 */
function stockMove(command: OrderLifecycleCommand, order: ExistingOrder): ((productId: string) => StockCommand) | null {
  const { orderId } = command;
  switch (command.type) {
    case 'ConfirmOrderPayment':
      return null;
    case 'ShipOrder':
      return (productId) => ({ type: 'ShipReservedStock', productId, orderId, inBuckets: bucketsHolding(order, productId) });
    case 'CancelOrder':
      return (productId) => ({ type: 'ReleaseStock', productId, orderId, inBuckets: bucketsHolding(order, productId) });
    default:
      return assertNever(command);
  }
}

/** The buckets a product's reservation went to (none for a product whose stock is in its own stream). */
function bucketsReservedIn(productId: string, reservation: readonly StreamEvents[]): ReservedBuckets[] {
  const buckets = reservation.map((s) => stockBucketOf(s.streamId, productId)).filter((b): b is number => b !== null);
  return buckets.length > 0 ? [{ productId, buckets }] : [];
}

/** The same product on two lines is one line with both quantities. */
function mergeLines(lines: PlaceOrderRequest['lines']): Array<{ productId: string; quantity: number }> {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of lines) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** Each product once, in the order first named. */
async function loadProducts(productIds: readonly string[], load: StreamLoader): Promise<Map<string, Product>> {
  const ids = [...new Set(productIds)];
  const loaded = await Promise.all(ids.map((id) => load.aggregate(productStreamId(id), productDecider)));
  return new Map(ids.map((id, i) => [id, loaded[i]!.state]));
}
