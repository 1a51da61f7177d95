/**
 * The seed's plan: every order and what happens to it (paid, shipped, cancelled and by whom, or refused),
 * drawn from the seed alone, so the same seed plans the same orders on every run.
 *
 * Ordinary orders are planned within each product's stock, counting every reservation as spent even if its
 * order is later cancelled, so none can fail for stock whatever order the concurrent requests land in. The
 * only orders planned to fail are ones that fail on every run: more units than a product ever had, or a
 * discontinued product.
 */
import { BASKETS, CANCELLATIONS, DEMO_CATALOG, DEMO_CUSTOMERS, DISCONTINUED, type Canceller } from './demoShop.ts';
import { SeededRandom } from './seededRandom.ts';

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
  readonly cancelledBy: Canceller;
  /** Set when the order is meant to be refused, whatever the timing: what it will be refused with. */
  readonly expectedRejection?: 'PRODUCT.INSUFFICIENT_STOCK' | 'PRODUCT.DISCONTINUED';
}

/** Mostly paid, most of those shipped, some cancelled before or after paying, a few still waiting to be paid. */
function drawFate(random: SeededRandom): OrderFate {
  const r = random.float();
  if (r < 0.07) return 'PLACED';
  if (r < 0.15) return 'CANCELLED_UNPAID';
  if (r < 0.2) return 'CANCELLED_PAID';
  if (r < 0.42) return 'PAID';
  return 'SHIPPED';
}

function drawQuantity(random: SeededRandom, productId: string): number {
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
  const random = new SeededRandom(`${seed}:orders`);
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
function drawLines(random: SeededRandom, budget: ReadonlyMap<string, number>): Array<{ productId: string; quantity: number }> {
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
