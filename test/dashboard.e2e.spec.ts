/**
 * The live dashboard in headless Chromium (the one support/findChromium.ts finds, driven by playwright-core)
 * against the whole pipeline on the emulators, Firebase Auth included. Staff sign in through the page's form; orders placed
 * through the API then show up as they are projected: the orders feed, the sales totals, the stock levels
 * and a low-stock alert; signing out takes it all off the page. A customer who signs in gets the staff-only
 * notice and no data. Leaves screenshots in test-artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { customerIdentity, DEMO_PASSWORD, DEMO_STAFF, ensureIdentity, staffIdentity } from '../scripts/identities.ts';
import { projections } from '../src/projections/all.ts';
import { inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import type { DashboardAuthConfig } from '../src/graphql/serveDashboard.ts';
import { AUTH_PROJECT_ID, asCustomer } from './support/identities.ts';
import { findChromium } from './support/findChromium.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';

const ARTIFACTS = 'test-artifacts';
const CUSTOMERS = ['dash-ada', 'dash-grace'];
/** Each order takes two kettles and a mug (59.00); from 8 kettles, two orders leave 4: at or below the threshold of 5. */
const STOCK = 8;
const live = { timeout: 20_000 };

let pipeline: Pipeline;
let browser: Browser;
let authEmulatorUrl: string;

beforeAll(async () => {
  // The page is the production build, made from the sources now (a clean clone has no dashboard/dist).
  await build({ configFile: 'dashboard/vite.config.ts', logLevel: 'warn' });
  await mkdir(ARTIFACTS, { recursive: true });
  // The accounts people sign in with through the page, in the Auth emulator the global setup started.
  for (const identity of [...DEMO_STAFF, ...CUSTOMERS.map((id) => customerIdentity(id))]) await ensureIdentity(AUTH_PROJECT_ID, identity);
  authEmulatorUrl = `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}`;
  const dashboardAuth: DashboardAuthConfig = {
    apiKey: 'demo-api-key',
    authDomain: `${AUTH_PROJECT_ID}.firebaseapp.com`,
    projectId: AUTH_PROJECT_ID,
    emulatorUrl: authEmulatorUrl,
  };
  pipeline = await startPipeline({ api: { dashboardAuth } });
  await setUpShop(pipeline.api, CUSTOMERS, STOCK);
  // The catalog is read when the page opens: let the products be projected first.
  await vi.waitFor(
    async () => {
      for (const productId of ['sku-kettle', 'sku-mug'])
        expect(await pipeline.readModels.get(inventoryCountProjection, productId)).not.toBeNull();
    },
    { timeout: 20_000, interval: 50 },
  );
  const found = await findChromium();
  console.info(`dashboard test: Chromium from ${found.source} at ${found.executablePath}`);
  browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: [...found.args] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.stop();
});

interface DashboardPage {
  readonly page: Page;
  /** What the page logged as errors, and where from. */
  readonly consoleErrors: Array<{ text: string; url: string }>;
  /** The WebSockets the page opened. */
  readonly sockets: string[];
}

/** The dashboard in a fresh browser context (no stored sign-in), at its sign-in form. */
async function openDashboard(): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const consoleErrors: Array<{ text: string; url: string }> = [];
  const sockets: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => consoleErrors.push({ text: error.message, url: '' }));
  page.on('websocket', (socket) => sockets.push(socket.url()));
  await page.goto(`${new URL(pipeline.httpUrl).origin}/dashboard`);
  await expect.poll(() => page.locator('[data-testid=sign-in]').count(), live).toBe(1);
  return { page, consoleErrors, sockets };
}

async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.fill('[data-testid=sign-in] input[name=email]', email);
  await page.fill('[data-testid=sign-in] input[name=password]', password);
  await page.click('[data-testid=sign-in] button[type=submit]');
}

async function placeOrder(customerId: string): Promise<string> {
  const { data, errors } = await graphql<{ placeOrder: { __typename: string; orderId?: string } }>(
    pipeline.api,
    PLACE_ORDER,
    { input: orderInput(customerId) },
    await asCustomer(customerId),
  );
  expect(errors).toBeUndefined();
  expect(data?.placeOrder.__typename).toBe('PlaceOrderPayload');
  return data!.placeOrder.orderId!;
}

describe('the live dashboard', () => {
  it('tells the page how to sign in, and keeps the page to its own origin and Firebase Auth', async () => {
    const config = await pipeline.api.fetch('http://api/dashboard/config.json');
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(await config.json()).toEqual({
      auth: {
        apiKey: 'demo-api-key',
        authDomain: `${AUTH_PROJECT_ID}.firebaseapp.com`,
        projectId: AUTH_PROJECT_ID,
        emulatorUrl: authEmulatorUrl,
      },
    });
    const page = await pipeline.api.fetch('http://api/dashboard');
    const policy = page.headers.get('content-security-policy');
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain(`connect-src 'self' ${authEmulatorUrl}`);
    expect(policy).toContain("frame-ancestors 'none'");
  });

  it('signs an operator in and shows orders arriving, sales, stock and low-stock alerts as they happen, until signing out', {
    timeout: 90_000,
  }, async () => {
    const { page, consoleErrors } = await openDashboard();
    expect(await page.locator('[data-testid=auth-emulator]').textContent()).toContain(authEmulatorUrl);
    const operator = staffIdentity('operator').email;

    await signIn(page, operator, 'not-the-password');
    await expect.poll(() => page.locator('[data-testid=sign-in-error]').textContent(), live).toBe('Wrong email or password.');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-sign-in.png`, fullPage: true });
    await signIn(page, operator);

    await expect.poll(() => page.locator('[data-testid=connection]').getAttribute('data-state'), live).toBe('live');
    expect(await page.locator('[data-testid=signed-in-as]').textContent()).toBe(operator);
    await expect.poll(() => page.locator('[data-testid=kpi-orders]').textContent(), live).toBe('0');
    await expect.poll(() => page.locator('[data-testid=no-orders]').count(), live).toBe(1);
    await expect.poll(() => page.locator('tr[data-product-id=sku-kettle]').getAttribute('data-available'), live).toBe(String(STOCK));
    await expect.poll(() => page.locator('[data-testid=no-alerts]').count(), live).toBe(1);
    await expect.poll(() => page.locator('tr[data-projection]').count(), live).toBe(projections.length);
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
    await expect
      .poll(() => page.locator('[data-testid=recent-orders] tbody tr').first().getAttribute('data-order-id'), live)
      .toBe(orders[1]);
    await expect.poll(() => page.locator(`tr[data-order-id="${orders[1]}"]`).textContent(), live).toContain('Customer dash-grace');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });

    // Signing out takes every figure off the page at once, and closes the socket.
    await page.click('[data-testid=sign-out]');
    await expect.poll(() => page.locator('[data-testid=sign-in]').count(), live).toBe(1);
    expect(await page.locator('[data-testid=recent-orders], [data-testid=kpi-orders], [data-testid=inventory]').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain('dash-grace');
    expect(await page.locator('[data-testid=connection]').isHidden()).toBe(true);
    expect(await page.locator('[data-testid=sign-out]').isHidden()).toBe(true);
    // Nor does it come back with a reload: the sign-in was dropped from the browser's storage.
    await page.reload();
    await expect.poll(() => page.locator('[data-testid=sign-in]').count(), live).toBe(1);

    // The one error the page may log is the browser's own note of the refused password (HTTP 400 from Auth).
    expect(consoleErrors.filter((e) => !(e.url.startsWith(authEmulatorUrl) && e.text.includes('400')))).toEqual([]);
    await page.context().close();
  });

  it('refuses a customer: the staff-only notice, and no orders or customers', { timeout: 60_000 }, async () => {
    const { page, consoleErrors, sockets } = await openDashboard();
    const customer = customerIdentity(CUSTOMERS[1]!).email;

    await signIn(page, customer);

    await expect.poll(() => page.locator('[data-testid=staff-only]').count(), live).toBe(1);
    const notice = await page.locator('[data-testid=staff-only]').textContent();
    expect(notice).toContain('Staff only');
    expect(notice).toContain(customer);
    expect(await page.locator('[data-testid=signed-in-as]').textContent()).toBe(customer);
    expect(
      await page
        .locator('[data-testid=recent-orders], [data-testid=kpi-orders], [data-testid=inventory], [data-testid=projection-lag]')
        .count(),
    ).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain('Customer dash-');
    // The API said no over HTTP, so the page never opened a socket.
    expect(sockets).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-staff-only.png`, fullPage: true });

    await page.click('[data-testid=staff-only-sign-out]');
    await expect.poll(() => page.locator('[data-testid=sign-in]').count(), live).toBe(1);
    expect(await page.locator('[data-testid=staff-only]').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
    await page.context().close();
  });
});
