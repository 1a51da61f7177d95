/**
 * SIGTERM, as Cloud Run sends it: the API process (spawned as in production, on the emulators) stops accepting,
 * ends its open SSE streams with `complete`, completes its WebSocket subscriptions and closes their sockets with
 * 1001 (going away), and exits 0; before that, it traces a request into its operator port. Both ways the API
 * runs: src/main.ts under tsx (`npm run dev`, the other e2e tests) and the bundle `npm start` runs
 * (scripts/apiBundle.ts, built afresh here), whose later chunks (the adapters, WebSocket support, telemetry) and
 * the packages left out of it load here too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundleApi, startArgs } from '../scripts/apiBundle.ts';
import { freePort } from '../scripts/devPorts.ts';
import { PROJECT_ROOT } from '../scripts/projectRoot.ts';
import { CSRF_HEADER } from '../src/graphql/crossOrigin.ts';
import { testFirestore } from './support/firestore.ts';
import { productView, writeProductView } from './support/liveApi.ts';
import { openSse, openWs } from './support/rawStreams.ts';

const PRODUCT = /* GraphQL */ `subscription ($id: ID!) { productInventory(productId: $id) { id available } }`;

/** A directory for the bundle, removed after the run. */
let bundleDir: string | undefined;

const RUNS: ReadonlyArray<readonly [string, () => Promise<string[]>]> = [
  ['src/main.ts under tsx', async () => ['--import', 'tsx', 'src/main.ts']],
  [
    'the bundle npm start runs',
    async () => {
      // Under the project, as dist/api is: the packages left out of the bundle load from node_modules above it.
      await mkdir(join(PROJECT_ROOT, 'dist'), { recursive: true });
      bundleDir = await mkdtemp(join(PROJECT_ROOT, 'dist', 'api-test-'));
      await bundleApi(bundleDir);
      return startArgs(join(bundleDir, 'main.js'));
    },
  ],
];

afterAll(async () => {
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

describe.each(RUNS)('the API process, %s', (_, nodeArgs) => {
  let api: ChildProcess;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let output = '';
  let baseUrl: string;
  let opsUrl: string;
  const projectId = `shutdown-${randomUUID().slice(0, 8)}`;
  const productId = `p-${randomUUID()}`;

  beforeAll(async () => {
    const db = testFirestore(projectId);
    await writeProductView(db, productView(productId, { available: 3 }));
    await db.terminate();

    const [port, opsPort] = [await freePort(), await freePort()];
    baseUrl = `http://127.0.0.1:${port}`;
    opsUrl = `http://127.0.0.1:${opsPort}`;
    api = spawn(process.execPath, await nodeArgs(), {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: projectId, PORT: String(port), OPS_PORT: String(opsPort), LOG_LEVEL: 'info' },
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

  // In the bundle, the OpenTelemetry SDK loads from node_modules and the API's spans start through the bundle's
  // own copy of @opentelemetry/api: they meet in its global registry.
  it('traces a request into the operator port, its GraphQL execution inside the HTTP span', async () => {
    const correlationId = randomUUID();
    // Asked again until traced: requests answered before OpenTelemetry has loaded (just after listening) are not.
    await vi.waitFor(
      async () => {
        await fetch(`${baseUrl}/graphql?query=${encodeURIComponent('{__typename}')}`, {
          headers: { [CSRF_HEADER]: '1', 'x-correlation-id': correlationId },
        });
        const response = await fetch(`${opsUrl}/traces?correlationId=${correlationId}`);
        const { traces } = (await response.json()) as {
          traces: Array<{ spans: Array<{ spanId: string; parentSpanId: string | null; name: string }> }>;
        };
        // Each trace: the HTTP request, its operation (named after it), and the execution inside that.
        const nested = traces.some(({ spans }) => {
          const byId = new Map(spans.map((span) => [span.spanId, span]));
          const execute = spans.find((span) => span.name === 'graphql.execute');
          const operation = byId.get(execute?.parentSpanId ?? '');
          return byId.get(operation?.parentSpanId ?? '')?.name === 'HTTP GET /graphql';
        });
        expect(nested).toBe(true);
      },
      { timeout: 15_000, interval: 100 },
    );
  });

  it('on SIGTERM, ends open SSE and WebSocket streams cleanly, then exits 0', { timeout: 60_000 }, async () => {
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
