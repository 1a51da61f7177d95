/**
 * Multiplexed listeners on the Firestore emulator: within one API instance, every subscriber to the same
 * read-model document or live query shares one Firestore listener, whatever its transport; the listener
 * opens with the first subscriber and closes with the last, and a late joiner gets the current state at once.
 */
import { randomUUID } from 'node:crypto';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { productView, startLiveApi, type LiveApi } from './support/liveApi.ts';
import { asStaff } from './support/identities.ts';
import { openSse } from './support/rawStreams.ts';
import { subscribeOverSse, subscribeOverWebSocket, type Subscription } from './support/subscriptions.ts';

const PRODUCT = /* GraphQL */ `subscription ($id: ID!) { productInventory(productId: $id) { id available } }`;
const LOW_STOCK = /* GraphQL */ `subscription { lowStockAlerts { id available } }`;
type ProductData = { productInventory: { id: string; available: number } | null };

let live: LiveApi;
/** Listeners the API holds with no subscriber: none, but the emulator project's client may keep its own. */
let baseline: number;

beforeAll(async () => {
  live = await startLiveApi();
  baseline = live.listeners();
});
afterAll(() => live.stop());

function closeAll(subscriptions: Array<Subscription<unknown>>): void {
  for (const s of subscriptions) s.close();
}

describe('multiplexed listeners', () => {
  it('one listener per document for any number of SSE and WebSocket subscribers, closed with the last', async () => {
    const a = `p-${randomUUID()}`;
    const b = `p-${randomUUID()}`;
    await Promise.all([live.writeProduct(productView(a, { available: 1 })), live.writeProduct(productView(b, { available: 1 }))]);
    const subscribers = [
      ...Array.from({ length: 5 }, () => subscribeOverSse<ProductData>(live.httpUrl, PRODUCT, { id: a })),
      ...Array.from({ length: 5 }, () => subscribeOverWebSocket<ProductData>(live.wsUrl, PRODUCT, { id: a })),
      subscribeOverWebSocket<ProductData>(live.wsUrl, PRODUCT, { id: b }),
    ];
    try {
      await Promise.all(subscribers.map((s) => s.next((r) => r.data?.productInventory?.available === 1)));
      expect(live.listeners()).toBe(baseline + 2);
      expect(live.readModels.liveStats()).toMatchObject({ listeners: 2, subscribers: 11 });

      await live.writeProduct(productView(a, { available: 2 }));
      await Promise.all(subscribers.slice(0, 10).map((s) => s.next((r) => r.data?.productInventory?.available === 2)));

      closeAll(subscribers.slice(0, 9));
      await vi.waitFor(() => expect(live.readModels.liveStats()).toMatchObject({ listeners: 2, subscribers: 2 }), { interval: 20 });
      expect(live.listeners()).toBe(baseline + 2);
      closeAll(subscribers.slice(9));
      await vi.waitFor(() => expect(live.listeners()).toBe(baseline), { timeout: 5_000, interval: 20 });
      expect(live.readModels.liveStats()).toEqual({ listeners: 0, subscribers: 0, waiting: 0 });
    } finally {
      closeAll(subscribers);
    }
  });

  it('a late joiner gets the current state at once, from the shared listener, without a new one', async () => {
    const id = `p-${randomUUID()}`;
    await live.writeProduct(productView(id, { available: 7 }));
    const first = subscribeOverWebSocket<ProductData>(live.wsUrl, PRODUCT, { id });
    try {
      await first.next((r) => r.data?.productInventory?.available === 7);
      await live.writeProduct(productView(id, { available: 6 }));
      await first.next((r) => r.data?.productInventory?.available === 6);
      const listeners = live.listeners();
      const late = openSse(live.httpUrl, PRODUCT, { id });
      const event = await late.waitFor((e) => e.event === 'next');
      expect(JSON.parse(event.data)).toEqual({ data: { productInventory: { id, available: 6 } } });
      expect(live.listeners()).toBe(listeners);
      late.close();
    } finally {
      first.close();
    }
  });

  it('one listener per live query: late joiners start from the whole result', async () => {
    const low = `low-${randomUUID()}`;
    await live.writeProduct(productView(low, { available: 1, lowStock: true }));
    type Alerts = { lowStockAlerts: Array<{ id: string; available: number }> };
    const first = subscribeOverSse<Alerts>(live.httpUrl, LOW_STOCK, {}, await asStaff('catalog'));
    try {
      await first.next((r) => r.data?.lowStockAlerts.some((p) => p.id === low) ?? false);
      const listeners = live.listeners();
      const late = subscribeOverWebSocket<Alerts>(live.wsUrl, LOW_STOCK, {}, await asStaff('operator'));
      const initial = await late.next(() => true);
      expect(initial.data?.lowStockAlerts).toContainEqual({ id: low, available: 1 });
      expect(live.listeners()).toBe(listeners);
      // A change reaches both as a change, not as the whole result again.
      const other = `low-${randomUUID()}`;
      await live.writeProduct(productView(other, { available: 2, lowStock: true }));
      for (const s of [first, late]) {
        const change = await s.next((r) => r.data?.lowStockAlerts.some((p) => p.id === other) ?? false);
        expect(change.data?.lowStockAlerts).toEqual([{ id: other, available: 2 }]);
      }
      late.close();
    } finally {
      first.close();
    }
  });
});

describe('1,000 subscribe/unsubscribe cycles', () => {
  it('leave no listener and no growing memory behind', { timeout: 120_000 }, async () => {
    // Documents held open throughout (cycles on them join a listener) and documents only cycles open.
    const held = Array.from({ length: 3 }, () => `held-${randomUUID()}`);
    const transient = Array.from({ length: 20 }, () => `t-${randomUUID()}`);
    // One at a time: a burst of parallel writes has drawn a spurious `2 UNKNOWN` from the emulator on CI.
    for (const [n, id] of [...held, ...transient].entries()) await live.writeProduct(productView(id, { available: n }));
    const holders = held.map((id) => subscribeOverWebSocket<ProductData>(live.wsUrl, PRODUCT, { id }));
    await Promise.all(holders.map((s) => s.next((r) => r.data?.productInventory !== undefined)));
    const ws = createClient({ url: live.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    try {
      let cycle = 0;
      const runCycles = async (count: number) => {
        const end = cycle + count;
        // Ten at a time, so that cycles on the same document overlap and join each other's listeners.
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (cycle < end) {
              const n = cycle++;
              const ids = n % 3 === 0 ? held : transient;
              await subscribeOnce(n % 2 === 0 ? 'sse' : 'ws', ws, ids[n % ids.length]!);
            }
          }),
        );
      };
      // Every cycle's subscription has ended and its connection closed: only the holders' and the cycles'
      // WebSocket connections remain, and only the holders' subscriptions.
      const cyclesEnded = () =>
        vi.waitFor(
          async () => {
            expect(live.readModels.liveStats()).toEqual({ listeners: 3, subscribers: 3, waiting: 0 });
            expect(await live.connections()).toBe(holders.length + 1);
          },
          { timeout: 10_000, interval: 20 },
        );
      const gc = exposeGc();
      await runCycles(300); // warm-up: JIT, connection pools and the client libraries' caches grow to size
      await cyclesEnded();
      const before = await settledHeap(gc);
      await runCycles(1_000);
      await cyclesEnded();
      const after = await settledHeap(gc);
      expect(cycle).toBe(1_300);

      // Only the held documents' listeners are open, each with its one holder.
      await vi.waitFor(() => expect(live.readModels.liveStats()).toEqual({ listeners: 3, subscribers: 3, waiting: 0 }), { interval: 20 });
      expect(live.listeners()).toBe(baseline + 3);
      // A subscriber's queue, GraphQL context and execution left behind would be tens of KB a cycle: 1,000
      // of them would show. Generous bound: after warm-up the heap still drifts by about 1 MB per 1,000
      // cycles (the Firestore client's own caches, measured with raw onSnapshot cycles too), flattening out.
      const growthMb = (after - before) / 2 ** 20;
      expect(growthMb).toBeLessThan(6);
    } finally {
      await ws.dispose();
      closeAll(holders);
    }
    await vi.waitFor(() => expect(live.listeners()).toBe(baseline), { timeout: 5_000, interval: 20 });
    expect(live.readModels.liveStats()).toEqual({ listeners: 0, subscribers: 0, waiting: 0 });
  });
});

/** Subscribes to a product, waits for its first result, and unsubscribes. */
async function subscribeOnce(transport: 'sse' | 'ws', ws: Client, id: string): Promise<void> {
  if (transport === 'sse') {
    const sse = openSse(live.httpUrl, PRODUCT, { id });
    try {
      await sse.waitFor((e) => e.event === 'next', 10_000);
    } finally {
      sse.close();
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const unsubscribe = ws.subscribe<ProductData>(
      { query: PRODUCT, variables: { id } },
      {
        next: () => {
          unsubscribe();
          resolve();
        },
        error: reject,
        complete: () => {},
      },
    );
  });
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap in use after full collections, letting the event loop turn between them (finalizers, closed handles). */
async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return getHeapStatistics().used_heap_size;
}
