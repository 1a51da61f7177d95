/**
 * Robust live streams on the Firestore emulator, over SSE and WebSocket: keep-alives, clients that stop
 * reading (conflated, or dropped with SUBSCRIPTION.OVERFLOW), and who may subscribe to what.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asCustomer, asStaff, connectionAs } from './support/identities.ts';
import { productView, startLiveApi, type LiveApi } from './support/liveApi.ts';
import { openSse, openWs } from './support/rawStreams.ts';
import { subscribeOverSse, subscribeOverWebSocket } from './support/subscriptions.ts';
import WebSocket from 'ws';

const PRODUCT = /* GraphQL */ `subscription ($id: ID!) { productInventory(productId: $id) { id name available } }`;
const LOW_STOCK = /* GraphQL */ `subscription { lowStockAlerts { id name available lowStock } }`;
/** Close to Firestore's 1 MiB document limit, so that a few messages fill the sockets' buffers. */
const BIG = 900_000;
const bigName = (n: number) => `${n}:${'x'.repeat(BIG)}`;

type ProductData = { productInventory: { id: string; name: string; available: number } | null };

describe('keep-alives', () => {
  let live: LiveApi;
  beforeAll(async () => {
    live = await startLiveApi({ keepAliveMs: 200 });
  });
  afterAll(() => live.stop());

  it('SSE streams carry keep-alive comments between events', async () => {
    // yoga pings every 12 s, every 300 ms under NODE_ENV=test (set by vitest), so this takes a second.
    expect(process.env.NODE_ENV).toBe('test');
    const sse = openSse(live.httpUrl, PRODUCT, { id: `p-${randomUUID()}` });
    try {
      await sse.waitFor((e) => e.event === 'next');
      await vi.waitFor(() => expect(sse.comments()).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 50 });
    } finally {
      sse.close();
    }
  });

  it('WebSocket connections are pinged, and one whose pongs stop coming is terminated', async () => {
    const answering = await openWs(live.wsUrl);
    const vanished = await openWs(live.wsUrl, { autoPong: false });
    vanished.subscribe('1', PRODUCT, { id: `p-${randomUUID()}` });
    await vanished.waitFor((m) => m.type === 'next');
    const before = live.listeners();
    // Terminated without a close frame (1006) by the server, within about two intervals.
    expect(await vanished.closed).toBe(1006);
    expect(vanished.pings()).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(live.listeners()).toBe(before - 1), { timeout: 2_000, interval: 20 });
    // Meanwhile the one that answers stays, pinged all along.
    await vi.waitFor(() => expect(answering.pings()).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 50 });
    expect(answering.socket.readyState).toBe(answering.socket.OPEN);
    answering.socket.close();
  });
});

describe('a client that stops reading', () => {
  let live: LiveApi;
  beforeAll(async () => {
    // Long keep-alives: a paused socket does not answer pings either, and these tests are about its queue.
    live = await startLiveApi({ keepAliveMs: 60_000, readModels: { maxPendingChanges: 5 } });
  });
  afterAll(() => live.stop());

  it('SSE: the server keeps only the latest state for it, while a reader of the same listener is not held back', async () => {
    const productId = `p-${randomUUID()}`;
    await live.writeProduct(productView(productId, { available: 0 }));
    const slow = openSse(live.httpUrl, PRODUCT, { id: productId });
    const reader = subscribeOverWebSocket<ProductData>(live.wsUrl, PRODUCT, { id: productId });
    try {
      await slow.waitFor((e) => e.event === 'next');
      slow.pause();
      await reader.next((r) => r.data?.productInventory?.available === 0);
      const writes = 60;
      for (let n = 1; n <= writes; n++) await live.writeProduct(productView(productId, { available: n, name: bigName(n) }));
      await reader.next((r) => r.data?.productInventory?.available === writes);
      // One listener for both; what waits for the slow one is at most one snapshot.
      expect(live.readModels.liveStats()).toMatchObject({ listeners: 1, subscribers: 2 });
      expect(live.readModels.liveStats().waiting).toBeLessThanOrEqual(1);

      slow.resume();
      const last = await slow.waitFor(
        (e) => e.event === 'next' && (JSON.parse(e.data) as { data: ProductData }).data.productInventory?.available === writes,
      );
      expect(last).toBeDefined();
      const received = slow.events().filter((e) => e.event === 'next').length;
      // Far fewer than one per write: the states it could not take were folded into the latest.
      expect(received).toBeLessThan(writes / 2);
    } finally {
      slow.close();
      reader.close();
    }
  });

  it('WebSocket: the same, with the socket paused', async () => {
    const productId = `p-${randomUUID()}`;
    await live.writeProduct(productView(productId, { available: 0 }));
    const slow = await openWs(live.wsUrl);
    const reader = subscribeOverSse<ProductData>(live.httpUrl, PRODUCT, { id: productId });
    try {
      slow.subscribe('1', PRODUCT, { id: productId });
      await slow.waitFor((m) => m.type === 'next');
      await reader.next((r) => r.data?.productInventory?.available === 0);
      slow.socket.pause();
      const writes = 60;
      for (let n = 1; n <= writes; n++) await live.writeProduct(productView(productId, { available: n, name: bigName(n) }));
      // The reader shares the slow socket's listener: once it has the last write, the listener has handed
      // every write to both.
      await reader.next((r) => r.data?.productInventory?.available === writes);
      expect(live.readModels.liveStats()).toMatchObject({ listeners: 1, subscribers: 2 });
      expect(live.readModels.liveStats().waiting).toBeLessThanOrEqual(1);

      slow.socket.resume();
      await slow.waitFor((m) => m.type === 'next' && (m.payload as { data: ProductData }).data.productInventory?.available === writes);
      expect(slow.messages.filter((m) => m.type === 'next').length).toBeLessThan(writes / 2);
    } finally {
      slow.socket.close();
      reader.close();
    }
  });

  it('a change-shaped stream that falls too far behind ends with SUBSCRIPTION.OVERFLOW, over SSE and WebSocket', async () => {
    const sse = openSse(live.httpUrl, LOW_STOCK, {}, await asStaff('catalog'));
    const ws = await openWs(live.wsUrl, { connectionParams: await connectionAs(asStaff('catalog')) });
    try {
      ws.subscribe('1', LOW_STOCK);
      await Promise.all([sse.waitFor((e) => e.event === 'next'), ws.waitFor((m) => m.type === 'next')]);
      sse.pause();
      ws.socket.pause();
      const baseline = live.listeners();
      // Distinct products becoming low on stock: each is a change that cannot be folded into another's.
      for (let n = 1; n <= 40; n++) {
        await live.writeProduct(productView(`low-${randomUUID()}`, { available: 1, lowStock: true, name: bigName(n) }));
      }
      // Both were dropped: the shared listener closed with its last subscriber, before they read anything more.
      await vi.waitFor(() => expect(live.listeners()).toBe(baseline - 1), { timeout: 10_000, interval: 50 });

      sse.resume();
      ws.socket.resume();
      const sseError = await sse.waitFor((e) => e.event === 'next' && e.data.includes('"errors"'));
      expect(JSON.parse(sseError.data)).toMatchObject({ errors: [{ extensions: { code: 'SUBSCRIPTION.OVERFLOW' } }] });
      await sse.waitFor((e) => e.event === 'complete');
      const wsError = await ws.waitFor((m) => m.type === 'next' && JSON.stringify(m.payload).includes('"errors"'));
      expect(wsError.payload).toMatchObject({ errors: [{ extensions: { code: 'SUBSCRIPTION.OVERFLOW' } }] });
      await ws.waitFor((m) => m.type === 'complete' && m.id === '1');
    } finally {
      sse.close();
      ws.socket.close();
    }
  });
});

describe('authorizing subscriptions', () => {
  let live: LiveApi;
  beforeAll(async () => {
    live = await startLiveApi();
  });
  afterAll(() => live.stop());

  const SALES = /* GraphQL */ `subscription { salesDashboard(days: 1) { summary { orders } } }`;
  type Sales = { salesDashboard: { summary: { orders: number } } };

  it('refuses a customer with AUTH.FORBIDDEN and an anonymous caller with AUTH.UNAUTHENTICATED, over SSE and WebSocket, opening no listener', async () => {
    const before = live.listeners();
    const sse = openSse(live.httpUrl, SALES, {}, await asCustomer('c-live-1'));
    const ws = await openWs(live.wsUrl);
    ws.subscribe('s', SALES);
    const sseResult = await sse.waitFor((e) => e.event === 'next');
    expect(JSON.parse(sseResult.data)).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'AUTH.FORBIDDEN' } })] });
    await sse.waitFor((e) => e.event === 'complete');
    const wsResult = await ws.waitFor((m) => m.type === 'next' || m.type === 'error');
    expect(wsResult.payload).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'AUTH.UNAUTHENTICATED' } })] });
    expect(live.listeners()).toBe(before);
    ws.socket.close();
  });

  it('authorizes the field that executes: a skipped public field in front does not open an operator-only one', async () => {
    const before = live.listeners();
    // (graphql's single-root-field rule resolves @skip/@include with literal arguments only.)
    const skipped = /* GraphQL */ `subscription {
      productInventory(productId: "public") @skip(if: true) { id }
      salesDashboard(days: 1) @include(if: true) { summary { orders } }
      recentOrders @include(if: false) { orderId }
    }`;
    const sse = subscribeOverSse<Sales>(live.httpUrl, skipped, {}, await asCustomer('c-live-1'));
    const ws = subscribeOverWebSocket<Sales>(live.wsUrl, skipped, {}, await asCustomer('c-live-1'));
    try {
      for (const subscription of [sse, ws]) {
        const refused = await subscription.next((r) => r.errors !== undefined);
        expect(refused).toMatchObject({ errors: [{ extensions: { code: 'AUTH.FORBIDDEN' } }] });
        expect(refused.data ?? null).toBeNull();
      }
      expect(live.listeners()).toBe(before);
    } finally {
      sse.close();
      ws.close();
    }
  });

  it('lets an operator through, signed in by header (SSE) or by connection parameter (WebSocket); public fields need no sign-in', async () => {
    const sse = subscribeOverSse<Sales>(live.httpUrl, SALES, {}, await asStaff('operator'));
    const ws = subscribeOverWebSocket<Sales>(live.wsUrl, SALES, {}, await asStaff('operator'));
    const anonymous = subscribeOverWebSocket<ProductData>(live.wsUrl, PRODUCT, { id: 'public' });
    try {
      expect(await sse.next(() => true)).toEqual({ data: { salesDashboard: { summary: { orders: 0 } } } });
      expect(await ws.next(() => true)).toEqual({ data: { salesDashboard: { summary: { orders: 0 } } } });
      expect(await anonymous.next(() => true)).toEqual({ data: { productInventory: null } });
    } finally {
      sse.close();
      ws.close();
      anonymous.close();
    }
  });

  it('closes a WebSocket whose token does not verify (4403), and answers 401 to such an SSE request', async () => {
    const ws = new WebSocket(live.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer forged' } })));
    expect(await closed).toBe(4403);
    const sse = openSse(live.httpUrl, SALES, {}, { authorization: 'Bearer forged' });
    try {
      expect((await sse.response).statusCode).toBe(401);
    } finally {
      sse.close();
    }
  });
});
