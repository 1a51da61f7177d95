/**
 * `npm run seed [-- --url URL] [--orders N] [--seed S] [--concurrency C] [--delay-ms MS]
 *                [--auth-emulator HOST:PORT] [--auth-project P]]`
 *
 * Loads a demo shop through the real commands, i.e. GraphQL mutations against a running API: a kitchen and
 * home catalog, customers, then a stream of orders with their payments, shipments and cancellations.
 *
 * Every mutation is sent signed in, as whoever would send it in the shop: the catalog by catalog staff, a
 * customer's registration, orders, payments and own cancellations by that customer, shipments and the shop's
 * cancellations by fulfilment staff. The seed creates those accounts in the Firebase Auth emulator first
 * (seedIdentities.ts) and talks to the API through seedClient.ts; it refuses to run without the emulator.
 *
 * Everything is drawn from a PRNG seeded with --seed, and every command carries an idempotency key made of
 * the seed and the item and is always sent by the same principal (keys are the caller's), so a second run
 * with the same seed, within the keys' lifetime of a day, appends nothing: each command is answered from its
 * first result. Only the order numbers a larger --orders adds are new.
 *
 * Reproducible down to the outcomes: ordinary orders are planned within each product's stock, counting every
 * reservation as spent even if its order is later cancelled, so none can fail for stock whatever order the
 * concurrent requests land in. The rejections in the summary are planned ones that fail on every run
 * (more units than a product ever had, a discontinued product). Against a shop that other traffic has
 * already sold from, ordinary orders can be refused too; they are counted the same way.
 *
 * Progress goes to stderr (bars on a terminal, Cloud Logging JSON lines otherwise), and at the end the demo
 * accounts with their password; stdout gets only the JSON summary, which lists the accounts too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Identity } from './identities.ts';
import { progressReporter } from './progressReporter.ts';
import { GraphQLClient, probeApi, reasonOf } from './seedClient.ts';
import { SeedError } from './seedError.ts';
import {
  defaultAuthEmulator,
  describeIdentities,
  SeedIdentities,
  seedIdentitiesSummary,
  type AuthEmulatorTarget,
  type SeedIdentitiesSummary,
} from './seedIdentities.ts';

export { SeedError } from './seedError.ts';

// ── The demo shop ─────────────────────────────────────────────────────────────────────────────────────

export interface DemoProduct {
  readonly productId: string;
  readonly category: 'coffee & tea' | 'cookware' | 'baking' | 'tableware' | 'home';
  readonly name: string;
  readonly priceCents: number;
  readonly initialStock: number;
  readonly lowStockThreshold: number;
}

const product = (
  productId: string,
  category: DemoProduct['category'],
  name: string,
  priceCents: number,
  initialStock: number,
  lowStockThreshold = 5,
): DemoProduct => ({ productId, category, name, priceCents, initialStock, lowStockThreshold });

/** Thresholds close to the stock (kettle, whetstone, baking mat, serving bowl) make low-stock alerts show early. */
export const DEMO_CATALOG: readonly DemoProduct[] = [
  product('sku-burr-grinder', 'coffee & tea', 'Conical Burr Coffee Grinder', 8900, 70),
  product('sku-french-press', 'coffee & tea', 'French Press, 1 L', 3400, 80),
  product('sku-pour-over', 'coffee & tea', 'Ceramic Pour-Over Dripper', 2400, 60),
  product('sku-paper-filters', 'coffee & tea', 'Paper Coffee Filters, 100 pack', 599, 220, 20),
  product('sku-gooseneck-kettle', 'coffee & tea', 'Gooseneck Kettle, 0.9 L', 5900, 14, 12),
  product('sku-stoneware-mug', 'coffee & tea', 'Stoneware Mug', 1450, 160, 15),
  product('sku-teapot', 'coffee & tea', 'Cast-Iron Teapot', 4200, 30),
  product('sku-tea-infuser', 'coffee & tea', 'Stainless Tea Infuser', 850, 90),
  product('sku-chefs-knife', 'cookware', "Chef's Knife, 20 cm", 7900, 60),
  product('sku-cutting-board', 'cookware', 'Walnut Cutting Board', 4900, 50),
  product('sku-whetstone', 'cookware', 'Whetstone Sharpener', 3200, 10, 8),
  product('sku-cast-iron-skillet', 'cookware', 'Cast-Iron Skillet, 26 cm', 4500, 60),
  product('sku-dutch-oven', 'cookware', 'Enamelled Dutch Oven, 5 L', 12900, 24),
  product('sku-wooden-spoons', 'cookware', 'Olive Wood Spoons, set of 3', 1900, 120),
  product('sku-spatula-set', 'cookware', 'Silicone Spatula Set', 1600, 100),
  product('sku-saucepan', 'cookware', 'Stainless Saucepan, 2 L', 5400, 40),
  product('sku-mixing-bowls', 'baking', 'Nesting Mixing Bowls', 3600, 60),
  product('sku-kitchen-scale', 'baking', 'Digital Kitchen Scale', 2900, 60),
  product('sku-loaf-pan', 'baking', 'Loaf Pan', 1800, 60),
  product('sku-baking-tray', 'baking', 'Half-Sheet Baking Tray', 2100, 70),
  product('sku-cooling-rack', 'baking', 'Cooling Rack', 1500, 70),
  product('sku-baking-mat', 'baking', 'Silicone Baking Mat', 1700, 9, 8),
  product('sku-rolling-pin', 'baking', 'Beech Rolling Pin', 2200, 40),
  product('sku-dinner-plates', 'tableware', 'Stoneware Dinner Plates, set of 4', 5600, 50),
  product('sku-linen-napkins', 'tableware', 'Linen Napkins, set of 4', 3200, 60),
  product('sku-wine-glasses', 'tableware', 'Wine Glasses, pair', 2800, 70),
  product('sku-serving-bowl', 'tableware', 'Ash Wood Serving Bowl', 3900, 12, 10),
  product('sku-cutlery-set', 'tableware', 'Cutlery Set, 16 pieces', 6900, 35),
  product('sku-soy-candle', 'home', 'Soy Candle, Fig', 2400, 80),
  product('sku-throw-blanket', 'home', 'Wool Throw Blanket', 8900, 30),
  product('sku-storage-jars', 'home', 'Glass Storage Jars, set of 3', 2700, 60),
  product('sku-pumpkin-candle', 'home', 'Pumpkin Spice Candle (seasonal)', 2200, 30),
];

/** Added, then discontinued: a few customers still try to buy it. */
const DISCONTINUED = 'sku-pumpkin-candle';

/**
 * What people buy together. An order starts from one basket, mostly its first product, and adds more of
 * the same basket, so "bought with" recommendations have something to find.
 */
const BASKETS: ReadonlyArray<{ readonly weight: number; readonly productIds: readonly string[] }> = [
  { weight: 3, productIds: ['sku-pour-over', 'sku-paper-filters', 'sku-gooseneck-kettle', 'sku-burr-grinder', 'sku-stoneware-mug'] },
  { weight: 3, productIds: ['sku-french-press', 'sku-burr-grinder', 'sku-stoneware-mug'] },
  { weight: 2, productIds: ['sku-teapot', 'sku-tea-infuser', 'sku-stoneware-mug'] },
  { weight: 3, productIds: ['sku-chefs-knife', 'sku-cutting-board', 'sku-whetstone'] },
  { weight: 3, productIds: ['sku-cast-iron-skillet', 'sku-wooden-spoons', 'sku-spatula-set', 'sku-dutch-oven', 'sku-saucepan'] },
  { weight: 2, productIds: ['sku-loaf-pan', 'sku-mixing-bowls', 'sku-kitchen-scale', 'sku-cooling-rack'] },
  { weight: 2, productIds: ['sku-baking-tray', 'sku-baking-mat', 'sku-cooling-rack', 'sku-rolling-pin', 'sku-mixing-bowls'] },
  { weight: 3, productIds: ['sku-dinner-plates', 'sku-linen-napkins', 'sku-wine-glasses', 'sku-serving-bowl', 'sku-cutlery-set'] },
  { weight: 2, productIds: ['sku-soy-candle', 'sku-throw-blanket', 'sku-stoneware-mug'] },
  { weight: 1, productIds: ['sku-storage-jars', 'sku-kitchen-scale', 'sku-wooden-spoons'] },
];

export interface DemoCustomer {
  readonly customerId: string;
  readonly name: string;
  readonly email: string;
}

const CUSTOMER_NAMES = [
  'Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Edsger Dijkstra',
  'Barbara Liskov', 'Donald Knuth', 'Margaret Hamilton', 'Tony Hoare', 'Frances Allen',
  'John McCarthy', 'Radia Perlman', 'Ken Thompson', 'Hedy Lamarr', 'Dennis Ritchie',
  'Annie Easley', 'Niklaus Wirth', 'Adele Goldberg', 'Leslie Lamport', 'Karen Sparck Jones',
];

export const DEMO_CUSTOMERS: readonly DemoCustomer[] = CUSTOMER_NAMES.map((name, i) => ({
  customerId: `cust-${String(i + 1).padStart(3, '0')}`,
  name,
  email: `${name.toLowerCase().replaceAll(' ', '.')}@example.com`,
}));

// ── The plan: every order and what happens to it, drawn from the seed ────────────────────────────────

/** Mulberry32: small, fast, and good enough to make a shop look lived in. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, so any string can seed the PRNG. */
function hashSeed(seed: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

class Random {
  private readonly next: () => number;
  constructor(seed: string) {
    this.next = mulberry32(hashSeed(seed));
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    const total = items.reduce((sum, item) => sum + weight(item), 0);
    let r = this.next() * total;
    for (const item of items) {
      r -= weight(item);
      if (r < 0) return item;
    }
    return items.at(-1)!;
  }
}

export type OrderFate = 'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED_UNPAID' | 'CANCELLED_PAID';

export interface PlannedOrder {
  /** 1-based; with the seed, names every idempotency key of the order. */
  readonly number: number;
  readonly customerId: string;
  readonly lines: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>;
  readonly fate: OrderFate;
  readonly paymentReference: string;
  readonly cancelReason: string;
  /** Who cancels, for the fates that do: the customer, or the shop (fulfilment staff). */
  readonly cancelledBy: 'customer' | 'fulfilment';
  /** Set when the order is meant to be refused, whatever the timing: what it will be refused with. */
  readonly expectedRejection?: 'PRODUCT.INSUFFICIENT_STOCK' | 'PRODUCT.DISCONTINUED';
}

const CANCELLATIONS: ReadonlyArray<{ readonly reason: string; readonly by: PlannedOrder['cancelledBy'] }> = [
  { reason: 'customer changed their mind', by: 'customer' },
  { reason: 'found it cheaper elsewhere', by: 'customer' },
  { reason: 'ordered by mistake', by: 'customer' },
  { reason: 'delivery too slow', by: 'customer' },
  { reason: 'damaged in the warehouse', by: 'fulfilment' },
  { reason: 'delivery address could not be verified', by: 'fulfilment' },
];

/** Mostly paid, most of those shipped, some cancelled before or after paying, a few still waiting to be paid. */
function drawFate(random: Random): OrderFate {
  const r = random.float();
  if (r < 0.07) return 'PLACED';
  if (r < 0.15) return 'CANCELLED_UNPAID';
  if (r < 0.2) return 'CANCELLED_PAID';
  if (r < 0.42) return 'PAID';
  return 'SHIPPED';
}

function drawQuantity(random: Random, productId: string): number {
  const r = random.float();
  if (productId === 'sku-paper-filters') return r < 0.5 ? 1 : r < 0.8 ? 2 : 3;
  return r < 0.82 ? 1 : r < 0.96 ? 2 : 3;
}

/** The same customers come back: a few regulars place many of the orders. */
const customerWeight = (rank: number) => 1 / (rank + 1) ** 0.8;

/**
 * The orders of a seed, in order. Order n depends only on the seed and the orders before it, so a larger
 * `count` extends the same plan.
 */
export function planOrders(seed: string, count: number): PlannedOrder[] {
  const random = new Random(`${seed}:orders`);
  // Units not yet promised to a planned order; cancelled orders do not give theirs back (see the header).
  const budget = new Map(DEMO_CATALOG.map((p) => [p.productId, p.productId === DISCONTINUED ? 0 : p.initialStock]));
  const rankedCustomers = DEMO_CUSTOMERS.map((customer, rank) => ({ customer, rank }));
  const scarce = DEMO_CATALOG.filter((p) => p.initialStock <= 15 && p.productId !== DISCONTINUED);

  const orders: PlannedOrder[] = [];
  for (let number = 1; number <= count; number++) {
    const customerId = random.weighted(rankedCustomers, ({ rank }) => customerWeight(rank)).customer.customerId;
    const fate = drawFate(random);
    const paymentReference = `PAY-${random.int(0, 0xffffff).toString(16).padStart(6, '0').toUpperCase()}`;
    const cancellation = random.pick(CANCELLATIONS);
    const base = { number, customerId, fate, paymentReference, cancelReason: cancellation.reason, cancelledBy: cancellation.by };

    const unusual = random.float();
    if (unusual < 0.03) {
      // A bulk order for more than the product ever had.
      const wanted = random.pick(scarce);
      orders.push({
        ...base,
        lines: [{ productId: wanted.productId, quantity: wanted.initialStock + random.int(1, 10) }],
        expectedRejection: 'PRODUCT.INSUFFICIENT_STOCK',
      });
      continue;
    }
    if (unusual < 0.045) {
      orders.push({
        ...base,
        lines: [
          { productId: DISCONTINUED, quantity: 1 },
          { productId: 'sku-soy-candle', quantity: 1 },
        ],
        expectedRejection: 'PRODUCT.DISCONTINUED',
      });
      continue;
    }

    const lines = drawLines(random, budget);
    if (lines.length === 0) continue; // Everything this customer wanted is sold out.
    for (const { productId, quantity } of lines) budget.set(productId, budget.get(productId)! - quantity);
    orders.push({ ...base, lines });
  }
  // A sold-out order leaves its number unused; keys stay tied to the numbers, so a rerun still matches.
  return orders;
}

/** 1 to 4 lines, mostly from one basket, within the units still unpromised. */
function drawLines(random: Random, budget: ReadonlyMap<string, number>): Array<{ productId: string; quantity: number }> {
  const basket = random.weighted(BASKETS, (b) => b.weight);
  const lineCount = random.weighted([1, 2, 3, 4], (n) => [0.3, 0.35, 0.23, 0.12][n - 1]!);
  const lines: Array<{ productId: string; quantity: number }> = [];
  const chosen = new Set<string>();
  for (let i = 0; i < lineCount; i++) {
    const unchosen = (ids: readonly string[]) => ids.filter((id) => !chosen.has(id) && id !== DISCONTINUED);
    let productId: string | undefined;
    if (i === 0) productId = random.float() < 0.6 ? basket.productIds[0] : random.pick(basket.productIds);
    else if (random.float() < 0.8 && unchosen(basket.productIds).length > 0) productId = random.pick(unchosen(basket.productIds));
    else productId = random.pick(unchosen(DEMO_CATALOG.map((p) => p.productId)));
    if (!productId) continue;
    const quantity = drawQuantity(random, productId);
    chosen.add(productId);
    if ((budget.get(productId) ?? 0) >= quantity) lines.push({ productId, quantity });
  }
  return lines;
}

// ── Running it ────────────────────────────────────────────────────────────────────────────────────────

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
  const identities = await SeedIdentities.prepare(options.authEmulator, DEMO_CUSTOMERS, (done, total) => progress('identities', done, total));
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

/** Runs `task` over the items with at most `concurrency` at once; the first failure stops new starts. */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
  onDone: (done: number, total: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
        onDone(++done, items.length);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
}

/** Spaces starts at least `delayMs` apart across all workers. */
function pacer(delayMs: number): () => Promise<void> {
  let nextStart = 0;
  return async () => {
    if (delayMs <= 0) return;
    const now = Date.now();
    const start = Math.max(now, nextStart);
    nextStart = start + delayMs;
    if (start > now) await sleep(start - now);
  };
}

// ── The command line ──────────────────────────────────────────────────────────────────────────────────

const AUTH_DEFAULTS = defaultAuthEmulator();

const CliOptions = z.object({
  url: z.url().default('http://localhost:4000/graphql'),
  orders: z.coerce.number().int().min(0).max(100_000).default(300),
  seed: z.string().min(1).max(64).default(DEFAULT_SEED),
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  'delay-ms': z.coerce.number().int().min(0).max(60_000).default(0),
  'auth-emulator': z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^\s:/[\]]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9099')
    .default(AUTH_DEFAULTS.host),
  'auth-project': z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a Firebase project id, e.g. demo-eventloom')
    .default(AUTH_DEFAULTS.projectId),
});

const USAGE = `Usage: npm run seed -- [--url URL] [--orders N] [--seed S] [--concurrency C] [--delay-ms MS]
                      [--auth-emulator HOST:PORT] [--auth-project P]

  --url            GraphQL endpoint of a running API (default http://localhost:4000/graphql)
  --orders         how many orders to place (default 300)
  --seed           seeds the data and the idempotency keys; the same seed twice writes once (default ${DEFAULT_SEED})
  --concurrency    orders in flight at once (default 4)
  --delay-ms       pause between orders and between an order's steps, to watch dashboards change (default 0)
  --auth-emulator  the Firebase Auth emulator the demo accounts are created in and signed in to; the seed runs
                   against no other (default FIREBASE_AUTH_EMULATOR_HOST, else firebase.json's: ${AUTH_DEFAULTS.host})
  --auth-project   the project of the emulator's accounts and tokens, the API's AUTH_PROJECT_ID
                   (default .firebaserc's: ${AUTH_DEFAULTS.projectId})`;

async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({
      options: {
        url: { type: 'string' },
        orders: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        'delay-ms': { type: 'string' },
        'auth-emulator': { type: 'string' },
        'auth-project': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`${reasonOf(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.error(USAGE);
    return;
  }
  const parsed = CliOptions.safeParse(values);
  if (!parsed.success) {
    console.error(`${z.prettifyError(parsed.error)}\n\n${USAGE}`);
    process.exit(2);
  }
  const cli = parsed.data;
  // firebase-admin finds the emulator through the environment; in this process the flag decides.
  process.env.FIREBASE_AUTH_EMULATOR_HOST = cli['auth-emulator'];
  const progress = progressReporter('seed');
  const reporter = {
    update: ({ phase, done, total, summary }: SeedProgress) =>
      progress.update(phase, done, total, phase === 'orders' ? { text: orderDetails(summary), fields: { orders: summary.orders } } : undefined),
    stop: () => progress.stop(),
  };
  try {
    const summary = await seedShop({
      url: cli.url,
      orders: cli.orders,
      seed: cli.seed,
      concurrency: cli.concurrency,
      delayMs: cli['delay-ms'],
      authEmulator: { host: cli['auth-emulator'], projectId: cli['auth-project'] },
      onProgress: reporter.update,
    });
    reporter.stop();
    console.error(describeIdentities(summary.identities));
    console.log(JSON.stringify(summary, null, 2));
  } catch (error) {
    reporter.stop();
    if (!(error instanceof SeedError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

function orderDetails({ orders }: SeedSummary): string {
  const rejected = Object.values(orders.rejected).reduce((sum, n) => sum + n, 0);
  return `placed ${orders.placed} · paid ${orders.paid} · shipped ${orders.shipped} · cancelled ${orders.cancelled} · rejected ${rejected}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
