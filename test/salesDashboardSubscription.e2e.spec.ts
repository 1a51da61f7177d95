/**
 * The sales dashboard's live subscription over the whole pipeline. The dashboard sums every order of the
 * shop in one summary document, so this file has a pipeline (an emulator project) of its own: the orders
 * it places are the only ones the summary holds, and the figures it expects are exact.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { graphql, pipelineReleasingListeners, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { subscribeOverSse } from './support/subscriptions.ts';

let pipeline: Pipeline;
pipelineReleasingListeners((started) => {
  pipeline = started;
});

const DAY_MS = 24 * 60 * 60 * 1000;

type Dashboard = {
  salesDashboard: {
    summary: { revenueCents: number; orders: number; units: number };
    days: Array<{ date: string; revenueCents: number; orders: number }>;
    topSellers: Array<{ productId: string; units: number; revenueCents: number; product: { name: string } | null }>;
  };
};

describe('salesDashboard subscription, end to end', () => {
  it('(SSE) starts from an empty shop and shows an order in the summary, today and the top sellers', async () => {
    const customerId = `c-${randomUUID()}`;
    await setUpShop(pipeline.api, [customerId]);
    // Views are eventually consistent with each other: let the catalog know the kettle first, so the
    // dashboard update that the order causes finds its name.
    await expect.poll(() => pipeline.readModels.get(inventoryCountProjection, 'sku-kettle'), { timeout: 20_000 }).not.toBeNull();
    const dashboard = subscribeOverSse<Dashboard>(
      pipeline.httpUrl,
      /* GraphQL */ `
        subscription {
          salesDashboard(days: 2) {
            summary { revenueCents orders units }
            days { date revenueCents orders }
            topSellers(limit: 1) { productId units revenueCents product { name } }
          }
        }
      `,
      {},
      await asStaff('operator'),
    );
    try {
      const today = new Date().toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
      const before = await dashboard.next((r) => r.data?.salesDashboard !== undefined);
      expect(before).toEqual({
        data: {
          salesDashboard: {
            summary: { revenueCents: 0, orders: 0, units: 0 },
            days: [
              { date: yesterday, revenueCents: 0, orders: 0 },
              { date: today, revenueCents: 0, orders: 0 },
            ],
            topSellers: [],
          },
        },
      });

      // Two kettles at 25.00 and a mug at 9.00.
      const placed = await graphql(pipeline.api, PLACE_ORDER, { input: orderInput(customerId) }, await asCustomer(customerId));
      expect(placed.errors).toBeUndefined();
      const after = await dashboard.next((r) => (r.data?.salesDashboard.summary.orders ?? 0) > 0);
      expect(after).toEqual({
        data: {
          salesDashboard: {
            summary: { revenueCents: 5900, orders: 1, units: 3 },
            days: [
              { date: yesterday, revenueCents: 0, orders: 0 },
              { date: today, revenueCents: 5900, orders: 1 },
            ],
            topSellers: [{ productId: 'sku-kettle', units: 2, revenueCents: 5000, product: { name: 'Kettle' } }],
          },
        },
      });
    } finally {
      dashboard.close();
    }
  });
});
