/**
 * The live dashboard in headless Chromium (Debian's package, driven by playwright-core) against the whole
 * pipeline on the emulators: orders placed through the API show up on the page as they are projected: the
 * orders feed, the sales totals, the stock levels and a low-stock alert. Leaves screenshots in test-artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const CUSTOMERS = ['dash-ada', 'dash-grace'];
/** Each order takes two kettles and a mug (59.00); from 8 kettles, two orders leave 4: at or below the threshold of 5. */
const STOCK = 8;

let pipeline: Pipeline;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  // The page is the production build, made from the sources now (a clean clone has no dashboard/dist).
  await build({ configFile: 'dashboard/vite.config.ts', logLevel: 'warn' });
  await mkdir(ARTIFACTS, { recursive: true });
  pipeline = await startPipeline();
  await setUpShop(pipeline.api, CUSTOMERS, STOCK);
  // The catalog is read when the page opens: let the products be projected first.
  await vi.waitFor(
    async () => {
      for (const productId of ['sku-kettle', 'sku-mug']) expect(await pipeline.readModels.get(inventoryCountProjection, productId)).not.toBeNull();
    },
    { timeout: 20_000, interval: 50 },
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.stop();
});

async function placeOrder(customerId: string): Promise<string> {
  const { data, errors } = await graphql<{ placeOrder: { __typename: string; orderId?: string } }>(pipeline.api, PLACE_ORDER, {
    input: orderInput(customerId),
  });
  expect(errors).toBeUndefined();
  expect(data?.placeOrder.__typename).toBe('PlaceOrderPayload');
  return data!.placeOrder.orderId!;
}

describe('the live dashboard', () => {
  it('shows orders arriving, sales, stock and low-stock alerts as they happen', { timeout: 90_000 }, async () => {
    const origin = new URL(pipeline.httpUrl).origin;
    await page.goto(`${origin}/dashboard`);
    const live = { timeout: 20_000 };
    await expect.poll(() => page.locator('[data-testid=connection]').getAttribute('data-state'), live).toBe('live');
    await expect.poll(() => page.locator('[data-testid=kpi-orders]').textContent(), live).toBe('0');
    await expect.poll(() => page.locator('[data-testid=no-orders]').count(), live).toBe(1);
    await expect.poll(() => page.locator('tr[data-product-id=sku-kettle]').getAttribute('data-available'), live).toBe(String(STOCK));
    await expect.poll(() => page.locator('[data-testid=no-alerts]').count(), live).toBe(1);
    await expect.poll(() => page.locator('tr[data-projection]').count(), live).toBe(5);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-before.png`, fullPage: true });

    const orders = [await placeOrder(CUSTOMERS[0]!), await placeOrder(CUSTOMERS[1]!)];

    for (const orderId of orders) {
      await expect.poll(() => page.locator(`tr[data-order-id="${orderId}"]`).count(), live).toBe(1);
    }
    await expect.poll(() => page.locator('[data-testid=kpi-orders]').textContent(), live).toBe('2');
    await expect.poll(() => page.locator('[data-testid=kpi-revenue]').textContent(), live).toBe('€118.00');
    await expect.poll(() => page.locator('tr[data-product-id=sku-kettle]').getAttribute('data-available'), live).toBe('4');
    await expect.poll(() => page.locator('tr[data-product-id=sku-mug]').getAttribute('data-available'), live).toBe('6');
    await expect.poll(() => page.locator('[data-testid=low-stock] li[data-product-id=sku-kettle]').textContent(), live).toContain('4 left');
    expect(await page.locator('tr[data-product-id=sku-kettle]').getAttribute('class')).toContain('low');
    // The newest order heads the feed, with its customer's name once projected.
    await expect.poll(() => page.locator('[data-testid=recent-orders] tbody tr').first().getAttribute('data-order-id'), live).toBe(orders[1]);
    await expect.poll(() => page.locator(`tr[data-order-id="${orders[1]}"]`).textContent(), live).toContain('Customer dash-grace');

    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
