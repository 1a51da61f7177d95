/**
 * Bench part (s): how soon a new API instance answers, beside a bare graphql-yoga server on the same Node.
 *
 * What Cloud Run does when it adds an instance: start the process (what `npm start` runs, read from package.json's
 * start script: the bundled API of scripts/apiBundle.ts, dist/api/main.js, no tsx) and send it a request as soon
 * as the port accepts (its default startup probe is a TCP one).
 * Each start is timed from spawn to the first GraphQL answer, the probe asking every 5 ms; the sides alternate
 * (ABBA) against the same emulators, so a load burst on the shared machine hits both. The query asks nothing of
 * Firestore (`{ __typename }`) since the bare server has no Firestore. The same API starts then time how long
 * until `/readyz?exclude=projections` says ready (Firestore and Pub/Sub reachable, the relay running: the startup
 * probe docs/observability.md suggests); starts of their own time the API's first read of a read model (public
 * products). The bare server has no equivalent of either.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PubSub } from '@google-cloud/pubsub';
import { startArgs } from '../scripts/apiBundle.ts';
import { freePort } from '../scripts/devPorts.ts';
import { markdownTable, ratio, whole } from './markdown.ts';
import { startPhase } from './progress.ts';
import { median } from './stats.ts';

/** The goal: a new instance's first answer at most this many times a bare yoga server's. */
const GOAL = 1.5;

export interface ColdStartPlan {
  /** Starts per side. */
  readonly starts: number;
}

export const COLD_START_PLANS: Record<'full' | 'quick', ColdStartPlan> = { full: { starts: 8 }, quick: { starts: 4 } };

export interface ColdStartResult {
  readonly starts: number;
  /** Milliseconds from spawn to the first answer, each start. */
  readonly bareYoga: readonly number[];
  readonly api: readonly number[];
  /** Milliseconds from spawn until the API's /readyz?exclude=projections answered 200 (in the `api` starts). */
  readonly apiReady: readonly number[];
  /** Milliseconds from spawn until the API's first answer that read Firestore. */
  readonly apiFirstRead: readonly number[];
  readonly medians: { readonly bareYoga: number; readonly api: number; readonly apiReady: number; readonly apiFirstRead: number };
  /** median(api) / median(bareYoga): the goal is at most 1.5. */
  readonly ratio: number;
  /** The machine's 1-minute load average when the part started and when it ended (2 cores here). */
  readonly loadAverage: readonly [number, number];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Node's arguments for the API: package.json's start script, the command Cloud Run's image runs. */
const API_START = startArgs();
const BARE_ENTRY = fileURLToPath(new URL('./bareYogaServer.mjs', import.meta.url));
const TYPENAME = '{ __typename }';
const PRODUCTS = '{ products(first: 1) { edges { cursor } } }';
const DOMAIN_TOPIC = 'bench-cold-domain-events';
const INTEGRATION_TOPIC = 'bench-cold-integration-events';
/** A start may take minutes on a loaded machine; past this, something is wrong. */
const START_TIMEOUT_MS = 180_000;

export async function measureColdStart(plan: ColdStartPlan): Promise<ColdStartResult> {
  const entry = API_START.at(-1)!;
  if (!existsSync(resolve(ROOT, entry))) throw new Error(`${entry} is missing: run \`npm run build\` before the cold-start part`);
  const loadBefore = loadavg()[0]!;
  const projectId = `bench-cold-${Date.now().toString(36)}`;
  // The topics the API's readiness check and relay look for.
  const pubsub = new PubSub({ projectId });
  await Promise.all([pubsub.createTopic(DOMAIN_TOPIC), pubsub.createTopic(INTEGRATION_TOPIC)]);
  await pubsub.close();

  const phase = startPhase('(s) cold start: API and bare yoga, alternating', plan.starts * 2 + 2);
  // One start of each, unmeasured: the OS file cache and the emulators' first requests.
  await timeStart([BARE_ENTRY], projectId, TYPENAME);
  phase.tick();
  await timeStart(API_START, projectId, PRODUCTS);
  phase.tick();
  const bareYoga: number[] = [];
  const api: number[] = [];
  const apiReady: number[] = [];
  const startApi = async () => {
    const { firstAnswer, ready } = await timeStart(API_START, projectId, TYPENAME, { untilReady: true });
    api.push(firstAnswer);
    apiReady.push(ready!);
    phase.tick();
  };
  const startBare = async () => {
    bareYoga.push((await timeStart([BARE_ENTRY], projectId, TYPENAME)).firstAnswer);
    phase.tick();
  };
  for (let round = 0; round < plan.starts; round++) {
    // ABBA: each pair of rounds starts either side first once.
    if (round % 2 === 0) {
      await startBare();
      await startApi();
    } else {
      await startApi();
      await startBare();
    }
  }
  phase.end();
  // The first read of a read model, in starts of its own: the probe's first query is the read.
  const reads = startPhase('(s) cold start: API first read of a read model', plan.starts);
  const apiFirstRead: number[] = [];
  for (let round = 0; round < plan.starts; round++) {
    apiFirstRead.push((await timeStart(API_START, projectId, PRODUCTS)).firstAnswer);
    reads.tick();
  }
  reads.end();
  const medians = { bareYoga: median(bareYoga), api: median(api), apiReady: median(apiReady), apiFirstRead: median(apiFirstRead) };
  return {
    starts: plan.starts,
    bareYoga,
    api,
    apiReady,
    apiFirstRead,
    medians,
    ratio: medians.api / medians.bareYoga,
    loadAverage: [loadBefore, loadavg()[0]!],
  };
}

export function renderColdStartSection(result: ColdStartResult): string {
  const range = (samples: readonly number[]) => `${whole(Math.min(...samples))} to ${whole(Math.max(...samples))}`;
  const row = (label: string, samples: readonly number[], median: number) => [
    label,
    whole(median),
    range(samples),
    ratio(median / result.medians.bareYoga),
  ];
  return [
    "## (s) Cold start: a new API instance's first answer",
    '',
    `${result.starts} starts per side, alternating (ABBA), against the same emulators: the built API (\`node ${API_START.join(' ')}\`, ` +
      'as `npm start` runs it, telemetry as configured locally) and a bare graphql-yoga server (bench/bareYogaServer.mjs) on ' +
      'the same Node. Each start is timed from spawn to the first answer to `{ __typename }`, asked every 5 ms. The same API ' +
      'starts then ask `/readyz?exclude=projections` until it says ready (Firestore and Pub/Sub reachable, the relay running); ' +
      'starts of their own time the first read of a read model (public `products`) instead.',
    '',
    markdownTable(
      ['process', 'median (ms)', 'range (ms)', 'vs bare yoga'],
      [
        row('bare graphql-yoga, first answer', result.bareYoga, result.medians.bareYoga),
        row('Eventloom API, first answer (`{ __typename }`)', result.api, result.medians.api),
        row('Eventloom API, `/readyz?exclude=projections` 200', result.apiReady, result.medians.apiReady),
        row('Eventloom API, first read of `products`', result.apiFirstRead, result.medians.apiFirstRead),
      ],
    ),
    '',
    `First answer, API / bare yoga: ${ratio(result.ratio)} (goal ≤ ${GOAL}×: ${result.ratio <= GOAL ? 'met' : 'NOT met'}). ` +
      `Load average (1 min) ${result.loadAverage[0].toFixed(1)} at the start of this part, ${result.loadAverage[1].toFixed(1)} at its end.`,
    '',
  ].join('\n');
}

/**
 * Spawns Node with `args` (the entry last) on a free port and returns the milliseconds until it answered `query`
 * with data, and with `untilReady`, until its /readyz?exclude=projections answered 200.
 */
async function timeStart(
  args: readonly string[],
  projectId: string,
  query: string,
  options: { untilReady?: boolean } = {},
): Promise<{ firstAnswer: number; ready: number | null }> {
  const port = await freePort();
  const startedAt = performance.now();
  const entry = args.at(-1)!;
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      // Its own operator port: several APIs (and a developer's) may run at once.
      OPS_PORT: '0',
      GOOGLE_CLOUD_PROJECT: projectId,
      DOMAIN_EVENTS_TOPIC: DOMAIN_TOPIC,
      INTEGRATION_EVENTS_TOPIC: INTEGRATION_TOPIC,
      LOG_LEVEL: 'error',
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${entry} exited (${code ?? signal}) before it answered`))),
  );
  exited.catch(() => {});
  try {
    await Promise.race([firstAnswer(port, query), exited]);
    const firstAnswerMs = performance.now() - startedAt;
    if (!options.untilReady) return { firstAnswer: firstAnswerMs, ready: null };
    await Promise.race([readyz(port), exited]);
    return { firstAnswer: firstAnswerMs, ready: performance.now() - startedAt };
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

/** Asks every 5 ms until the server answers with data (a refused connection means: not listening yet). */
async function firstAnswer(port: number, query: string): Promise<void> {
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown };
      if (body.data) return;
      throw new Error(`answered without data: ${JSON.stringify(body)}`);
    } catch (error) {
      if (!isNotListening(error)) throw error;
    }
    if (performance.now() > deadline) throw new Error(`nothing answered on port ${port} within ${START_TIMEOUT_MS / 1000} s`);
    await sleep(5);
  }
}

/** Asks every 5 ms until /readyz?exclude=projections answers 200 (a probe's answer waits for the adapters). */
async function readyz(port: number): Promise<void> {
  const deadline = performance.now() + START_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${port}/readyz?exclude=projections`);
    if (response.status === 200) return;
    last = await response.text();
    await sleep(5);
  }
  throw new Error(`not ready on port ${port} within ${START_TIMEOUT_MS / 1000} s: ${last}`);
}

function isNotListening(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED' || cause?.code === 'ECONNRESET';
}
