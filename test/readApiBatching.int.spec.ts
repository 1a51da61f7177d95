/**
 * No N+1 on the read side: resolvers load views through the request's DataLoaders, so the products
 * of an order's many lines, of the dashboard's top sellers and of a catalog page's recommendations
 * are each read with one batched `getAll`, counted on the real Firestore client (emulator).
 */
import { randomUUID } from 'node:crypto';
import { DocumentReference, Query } from '@google-cloud/firestore';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROJECTIONS } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { inventoryCountProjection } from '../src/projections/inventoryCount.ts';
import { recommendationsProjection } from '../src/projections/recommendations.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { testFirestore } from './support/firestore.ts';
import { asStaff, testTokens } from './support/identities.ts';
import { graphql as send } from './support/pipeline.ts';
import { readSideRecorder } from './support/readSide.ts';
import { line, orderPlaced, productAdded } from './support/shopFixtures.ts';

const LINES = 30;
const T = '2026-11-30T10:00:00.000Z';
/** Documents one product's view is read from: its shards (inventoryCountProjection.sharded). */
const PRODUCT_SHARDS = inventoryCountProjection.sharded!.shards;

const db = testFirestore();
const recorder = readSideRecorder(db);
const api = createApi({
  store: recorder.store,
  readModels: new FirestoreReadModels(db),
  logger: createLogger({ level: 'silent' }),
  clock: () => new Date(T),
  newId: randomUUID,
  tokens: testTokens(),
});

/** The read side as the operator sees it: every view. (Who else may read what is test/permissions.e2e.spec.ts.) */
async function graphql<T = Record<string, unknown>>(...[target, query, variables = {}]: Parameters<typeof send>) {
  return send<T>(target, query, variables, await asStaff('operator'));
}
const productIds = Array.from({ length: LINES }, (_, i) => `sku-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  await Promise.all(productIds.map((id, i) => recorder.record(`product-${id}`, [productAdded(id, 100 + i, 50, `Product ${i}`)], T)));
  await recorder.record(
    'order-big',
    [
      orderPlaced(
        'big',
        'c-1',
        productIds.map((id, i) => line(id, 1, 100 + i)),
        T,
      ),
    ],
    T,
  );
  await recorder.record('order-small', [orderPlaced('small', 'c-1', [line('sku-00', 2, 100), line('sku-01', 1, 101)], T)], T);
});
afterAll(() => db.terminate());
afterEach(() => vi.restoreAllMocks());

/** The query each API instance follows the registry with (every couple of seconds): not a view read. */
const registryQuery = db.collection(PROJECTIONS).where('active', '>', '');

/** Runs a query and reports the Firestore reads it caused: one entry per round trip, and how many queries. */
async function readsOf(query: string): Promise<{ data: unknown; batches: number[]; pointReads: number; queries: number }> {
  const getAll = vi.spyOn(db, 'getAll');
  const get = vi.spyOn(DocumentReference.prototype, 'get');
  const queryGet = vi.spyOn(Query.prototype, 'get');
  const { data, errors } = await graphql(api, query);
  expect(errors).toBeUndefined();
  const queries = queryGet.mock.contexts.filter((q) => !(q as Query).isEqual(registryQuery)).length;
  // Point reads (DocumentReference.get) also go through Firestore.getAll, one document each.
  return { data, batches: getAll.mock.calls.map((refs) => refs.length), pointReads: get.mock.calls.length, queries };
}

describe('batched view reads (DataLoader per request)', () => {
  it("reads an order's line products in one getAll, not one read per line", async () => {
    const { data, batches, pointReads } = await readsOf(/* GraphQL */ `
      { order(orderId: "big") { lines { productId product { name available } } } }
    `);
    expect((data as { order: { lines: unknown[] } }).order.lines).toHaveLength(LINES);
    expect(pointReads).toBe(0);
    // The order, then every product of its lines together (each the merge of its shards).
    expect(batches).toEqual([1, LINES * PRODUCT_SHARDS]);
  });

  it("reads the dashboard's summary and days in one query, and its top sellers' products in one getAll", async () => {
    const { data, batches, pointReads, queries } = await readsOf(/* GraphQL */ `
      {
        salesDashboard(days: 7) {
          summary { orders revenueCents }
          days { date orders }
          topSellers(limit: 20) { productId product { name } }
        }
      }
    `);
    const dashboard = (data as { salesDashboard: { topSellers: Array<{ product: { name: string } }> } }).salesDashboard;
    expect(dashboard.topSellers).toHaveLength(20);
    expect(dashboard.topSellers.every((s) => s.product.name.startsWith('Product '))).toBe(true);
    expect(pointReads).toBe(0);
    // Summary + 7 days, each the merge of its shards and pending contributions, in one query of the view parts
    // (salesDashboardProjection.sharded.rolledUp); then 20 products.
    expect(queries).toBe(1);
    expect(batches).toEqual([20 * PRODUCT_SHARDS]);
  });

  it("reads a catalog page's recommendations in one getAll and the recommended products in one more", async () => {
    const { data, batches, pointReads } = await readsOf(/* GraphQL */ `
      { products(first: 3) { edges { node { id boughtTogether(limit: 5) { productId product { name } } } } } }
    `);
    type Products = { products: { edges: Array<{ node: { id: string; boughtTogether: Array<{ productId: string }> } }> } };
    const recommended = (data as Products).products.edges.map((e) => e.node.boughtTogether.map((b) => b.productId));
    // sku-00 and sku-01 were bought together twice; every other pair once, ranked by id.
    expect(recommended).toEqual([
      ['sku-01', 'sku-02', 'sku-03', 'sku-04', 'sku-05'],
      ['sku-00', 'sku-02', 'sku-03', 'sku-04', 'sku-05'],
      ['sku-00', 'sku-01', 'sku-03', 'sku-04', 'sku-05'],
    ]);
    expect(pointReads).toBe(0);
    // The page itself is a query of the products' summaries, whose views are read merged from their shards.
    // Then the page's 3 recommendations; then the recommended products not on the page (sku-03..05), once
    // each: those on the page were primed by it.
    // (The page reads one product more, which says whether another page follows.)
    expect(batches).toEqual([4 * PRODUCT_SHARDS, 3 * recommendationsProjection.sharded!.shards, 3 * PRODUCT_SHARDS]);
  });
});
