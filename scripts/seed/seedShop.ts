/**
 * Loads the demo shop through the real commands, GraphQL mutations against a running API: the catalog, the
 * customers, then the planned orders (orderPlan.ts) with their payments, shipments and cancellations.
 *
 * Every mutation is sent signed in, as whoever would send it in the shop: the catalog by catalog staff, a
 * customer's registration, orders, payments and own cancellations by that customer, shipments and the shop's
 * cancellations by fulfilment staff. Those accounts are created in the Firebase Auth emulator first
 * (seedIdentities.ts), and the API is reached through seedClient.ts; without the emulator nothing runs.
 *
 * Every command carries an idempotency key made of the seed and the item and is always sent by the same
 * principal (keys are the caller's), so a second run with the same seed, within the keys' lifetime of a day,
 * appends nothing: each command is answered from its first result. Only the order numbers a larger `orders`
 * adds are new. The rejections in the summary are the planned ones; against a shop that other traffic has
 * already sold from, ordinary orders can be refused too, and are counted the same way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Identity } from '../identities.ts';
import { DEMO_CATALOG, DEMO_CUSTOMERS, DISCONTINUED, type DemoCustomer, type DemoProduct } from './demoShop.ts';
import { planOrders, type PlannedOrder } from './orderPlan.ts';
import { GraphQLClient, probeApi } from './seedClient.ts';
import { SeedError } from './seedError.ts';
import { SeedIdentities, seedIdentitiesSummary, type AuthEmulatorTarget, type SeedIdentitiesSummary } from './seedIdentities.ts';
import { forEachConcurrently, pacer } from './workerPool.ts';

export interface SeedOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  readonly url: string;
  readonly orders: number;
  /** Seeds the PRNG and every idempotency key. Same seed, same shop. */
  readonly seed?: string;
  /** Orders in flight at once. */
  readonly concurrency?: number;
  /** Time between two orders starting, and between the steps of one order, so a person can watch. */
  readonly delayMs?: number;
  /** Where the seed creates its accounts and signs in; the API must accept that emulator's tokens. */
  readonly authEmulator: AuthEmulatorTarget;
  readonly onProgress?: (progress: SeedProgress) => void;
}

export type SeedPhase = 'identities' | 'catalog' | 'customers' | 'orders';

export interface SeedProgress {
  readonly phase: SeedPhase;
  readonly done: number;
  readonly total: number;
  readonly summary: SeedSummary;
}

export interface SeedSummary {
  url: string;
  seed: string;
  /** Who can sign in to the demo shop: the accounts the seed created or brought up to date. */
  identities: SeedIdentitiesSummary;
  products: { total: number; added: number; alreadyExisted: number; discontinued: number };
  customers: { total: number; registered: number; alreadyRegistered: number };
  orders: {
    requested: number;
    /** Orders the plan dropped because everything in them was already promised to earlier orders. */
    soldOut: number;
    placed: number;
    paid: number;
    shipped: number;
    cancelled: number;
    /** Refused by a business rule, per error code. */
    rejected: Record<string, number>;
  };
  /** Commands that succeeded, and how many of them were answered from an earlier run (nothing appended). */
  commands: { succeeded: number; replayed: number };
  durationMs: number;
}

export const DEFAULT_SEED = 'eventloom-demo';

export async function seedShop(options: SeedOptions): Promise<SeedSummary> {
  const seed = options.seed ?? DEFAULT_SEED;
  const concurrency = options.concurrency ?? 4;
  const delayMs = options.delayMs ?? 0;
  const started = Date.now();
  const summary: SeedSummary = {
    url: options.url,
    seed,
    identities: seedIdentitiesSummary(options.authEmulator, DEMO_CUSTOMERS),
    products: { total: DEMO_CATALOG.length, added: 0, alreadyExisted: 0, discontinued: 0 },
    customers: { total: DEMO_CUSTOMERS.length, registered: 0, alreadyRegistered: 0 },
    orders: { requested: options.orders, soldOut: 0, placed: 0, paid: 0, shipped: 0, cancelled: 0, rejected: {} },
    commands: { succeeded: 0, replayed: 0 },
    durationMs: 0,
  };
  const reject = (code: string) => {
    summary.orders.rejected[code] = (summary.orders.rejected[code] ?? 0) + 1;
  };
  const key = (...parts: Array<string | number>) => ['seed', seed, ...parts].join(':');
  const progress = (phase: SeedPhase, done: number, total: number) => {
    summary.durationMs = Date.now() - started;
    options.onProgress?.({ phase, done, total, summary });
  };

  await probeApi(options.url);
  const identities = await SeedIdentities.prepare(options.authEmulator, DEMO_CUSTOMERS, (done, total) =>
    progress('identities', done, total),
  );
  const client = new GraphQLClient(options.url, identities, (replayed) => {
    summary.commands.succeeded++;
    if (replayed) summary.commands.replayed++;
  });
  const catalogStaff = identities.staff('catalog');
  const fulfilmentStaff = identities.staff('fulfilment');

  const addProduct = async ({ category: _category, ...input }: DemoProduct) => {
    const added = await client.mutate('addProduct', { ...input, idempotencyKey: key('product', input.productId) }, catalogStaff);
    if (added.ok) summary.products.added++;
    else if (added.code === 'PRODUCT.ALREADY_EXISTS') summary.products.alreadyExisted++;
    else throw new SeedError(`addProduct ${input.productId}: ${added.code} ${added.message}`);
  };
  await forEachConcurrently(DEMO_CATALOG, concurrency, addProduct, (done, total) => progress('catalog', done, total));
  const discontinued = await client.mutate(
    'discontinueProduct',
    { productId: DISCONTINUED, idempotencyKey: key('product', DISCONTINUED, 'discontinue') },
    catalogStaff,
  );
  if (!discontinued.ok) throw new SeedError(`discontinueProduct ${DISCONTINUED}: ${discontinued.code} ${discontinued.message}`);
  summary.products.discontinued++;

  const registerCustomer = async (customer: DemoCustomer) => {
    const registered = await client.mutate(
      'registerCustomer',
      { ...customer, idempotencyKey: key('customer', customer.customerId) },
      identities.customer(customer.customerId),
    );
    if (registered.ok) summary.customers.registered++;
    else if (registered.code === 'CUSTOMER.ALREADY_REGISTERED') summary.customers.alreadyRegistered++;
    else throw new SeedError(`registerCustomer ${customer.customerId}: ${registered.code} ${registered.message}`);
  };
  await forEachConcurrently(DEMO_CUSTOMERS, concurrency, registerCustomer, (done, total) => progress('customers', done, total));

  const plan = planOrders(seed, options.orders);
  summary.orders.soldOut = options.orders - plan.length;
  const pace = pacer(delayMs);
  const paced = async (order: PlannedOrder) => {
    await pace();
    await runOrder(order);
  };
  await forEachConcurrently(plan, concurrency, paced, (done, total) => progress('orders', done, total));

  async function runOrder(order: PlannedOrder): Promise<void> {
    // One correlation id for all of an order's commands, so its events can be followed together.
    const headers = { 'x-correlation-id': key('order', order.number) };
    const customer = identities.customer(order.customerId);
    const placed = await client.mutate(
      'placeOrder',
      { customerId: order.customerId, lines: order.lines, idempotencyKey: key('order', order.number, 'place') },
      customer,
      headers,
    );
    if (!placed.ok) return reject(placed.code);
    summary.orders.placed++;
    const orderId = placed.orderId!;

    const step = async (
      name: 'confirmOrderPayment' | 'shipOrder' | 'cancelOrder',
      input: Record<string, unknown>,
      as: Identity,
      count: () => void,
    ) => {
      if (delayMs > 0) await sleep(delayMs);
      const outcome = await client.mutate(name, { orderId, ...input, idempotencyKey: key('order', order.number, name) }, as, headers);
      if (!outcome.ok) {
        reject(outcome.code);
        return false;
      }
      count();
      return true;
    };
    const fate = order.fate;
    if (fate === 'PAID' || fate === 'SHIPPED' || fate === 'CANCELLED_PAID') {
      const paid = await step('confirmOrderPayment', { paymentReference: order.paymentReference }, customer, () => summary.orders.paid++);
      if (!paid) return;
    }
    if (fate === 'SHIPPED') await step('shipOrder', {}, fulfilmentStaff, () => summary.orders.shipped++);
    if (fate === 'CANCELLED_PAID' || fate === 'CANCELLED_UNPAID') {
      const canceller = order.cancelledBy === 'fulfilment' ? fulfilmentStaff : customer;
      await step('cancelOrder', { reason: order.cancelReason }, canceller, () => summary.orders.cancelled++);
    }
  }

  summary.durationMs = Date.now() - started;
  return summary;
}
