/**
 * SIGTERM, as Cloud Run sends it: the API process (src/main.ts, spawned as in production, on the emulators)
 * stops accepting, ends its open SSE streams with `complete`, completes its WebSocket subscriptions and
 * closes their sockets with 1001 (going away), and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CSRF_HEADER } from '../src/graphql/crossOrigin.ts';
import { testFirestore } from './support/firestore.ts';
import { productView, writeProductView } from './support/liveApi.ts';
import { openSse, openWs } from './support/rawStreams.ts';
import { freePort } from '../scripts/devPorts.ts';

const PRODUCT = /* GraphQL */ `subscription ($id: ID!) { productInventory(productId: $id) { id available } }`;

let api: ChildProcess;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let output = '';
let baseUrl: string;
const projectId = `shutdown-${randomUUID().slice(0, 8)}`;
const productId = `p-${randomUUID()}`;

beforeAll(async () => {
  const db = testFirestore(projectId);
  await writeProductView(db, productView(productId, { available: 3 }));
  await db.terminate();

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  api = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, GOOGLE_CLOUD_PROJECT: projectId, PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  api.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  api.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exited = new Promise((resolve) => api.once('exit', (code, signal) => resolve({ code, signal })));
  await vi.waitFor(
    async () => {
      const response = await fetch(`${baseUrl}/graphql?query=${encodeURIComponent('{__typename}')}`, { headers: { [CSRF_HEADER]: '1' } });
      expect(response.status).toBe(200);
    },
    { timeout: 30_000, interval: 100 },
  );
});

afterAll(() => {
  if (api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
});

describe('SIGTERM', () => {
  it('ends open SSE and WebSocket streams cleanly, then exits 0', { timeout: 60_000 }, async () => {
    const sse = openSse(`${baseUrl}/graphql`, PRODUCT, { id: productId });
    const ws = await openWs(`ws://127.0.0.1:${new URL(baseUrl).port}/graphql`);
    ws.subscribe('live', PRODUCT, { id: productId });
    await sse.waitFor((e) => e.event === 'next');
    await ws.waitFor((m) => m.type === 'next' && m.id === 'live');

    const signalledAt = performance.now();
    api.kill('SIGTERM');

    // SSE: a `complete` event, then the response ends.
    await sse.waitFor((e) => e.event === 'complete', 10_000);
    await sse.ended;
    // WebSocket: the subscription completes, then the socket closes with 1001 (going away).
    await ws.waitFor((m) => m.type === 'complete' && m.id === 'live', 10_000);
    expect(await ws.closed).toBe(1001);
    const completeAt = ws.messages.findIndex((m) => m.type === 'complete');
    expect(completeAt).toBeGreaterThan(0);

    const { code, signal } = await exited;
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    // Well within Cloud Run's 10 s between SIGTERM and SIGKILL.
    expect(performance.now() - signalledAt).toBeLessThan(8_000);
    expect(output).toContain('"message":"stopped"');
    // And it no longer accepts connections.
    await expect(
      fetch(`${baseUrl}/graphql?query=${encodeURIComponent('{__typename}')}`, { headers: { [CSRF_HEADER]: '1' } }),
    ).rejects.toThrow();
  });
});
