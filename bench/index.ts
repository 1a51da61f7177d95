/**
 * `npm run bench [-- --quick] [-- --only=g,hot]`: how the event store and the pipeline perform on the local
 * emulators, each figure beside a baseline measured in the same run (the machines are shared and noisy, so
 * absolute numbers from different runs do not compare; ratios do). Not a test: it asserts nothing and prints
 * markdown on stdout, progress on stderr. `--only` runs some parts, named by letter or name (see PARTS).
 *
 * It starts its own emulators on free ports, so it runs beside `npm run dev` or a test run, and stops them
 * however it ends: normally, on an error, or on Ctrl-C (and should this process be killed outright, the
 * emulator watchdog sees its stdin close and stops them).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { authEmulatorAnswers, emulatorAnswers, startEmulators, type RunningEmulators } from '../scripts/emulatorLauncher.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { measureAppendThroughput, runPool, type AppendThroughputPlan } from './appendThroughput.ts';
import { AUTH_COST_PLANS, measureAuthCost } from './authCost.ts';
import { COLD_START_PLANS, measureColdStart } from './coldStart.ts';
import { CAPACITY_PLANS, measureCapacity } from './capacity.ts';
import { measureContention, type ContentionPlan } from './contention.ts';
import { measureEndToEndLatency, type EndToEndPlan } from './endToEndLatency.ts';
import { measureHotProduct, type HotProductPlan } from './hotProduct.ts';
import { measurePersonalDataCost, PERSONAL_DATA_COST_PLANS } from './personalDataCost.ts';
import { measureQueryLimits, QUERY_LIMITS_PLANS } from './queryLimits.ts';
import { measureProjectionLag, PROJECTION_LAG_PLANS } from './projectionLag.ts';
import { CONCURRENT_PUSHES_PLANS, measureConcurrentPushes } from './concurrentPushes.ts';
import { LIVE_DASHBOARD_PLANS, measureLiveDashboard } from './liveDashboard.ts';
import { measureRebuildRate, REBUILD_RATE_PLANS } from './rebuildRate.ts';
import { measureRelayScaleOut, type RelayScaleOutPlan } from './relayScaleOut.ts';
import { measureSnapshotLoading, type SnapshotLoadPlan } from './snapshotLoading.ts';
import { measureSubscriptions, SUBSCRIPTION_PLANS } from './subscriptions.ts';
import { measureTracingOverhead, TRACING_OVERHEAD_PLANS } from './tracingOverhead.ts';
import { note, startPhase } from './progress.ts';
import { renderReport, type BenchReport } from './report.ts';

interface BenchPlan {
  readonly append: AppendThroughputPlan;
  readonly contention: ContentionPlan;
  readonly endToEnd: EndToEndPlan;
  readonly hotProduct: HotProductPlan;
  readonly snapshots: SnapshotLoadPlan;
  readonly relays: RelayScaleOutPlan;
}

// On the shared 2-core machines the full run takes about 3 minutes (more when they are busy); --quick 1 to 2.
const PLANS: Record<'full' | 'quick', BenchPlan> = {
  full: {
    append: {
      ownStreams: [
        { writers: 1, count: 640 },
        { writers: 32, count: 7680 },
      ],
      hotStream: { writers: 8, count: 480 },
      // Many short blocks: at 32 writers a block of 480 appends per side lasts under a second, so one pause of
      // the emulator's JVM swings that block's ratio; the median over 16 paired blocks does not follow it.
      blocks: 16,
    },
    contention: { writers: [8, 20], rounds: 3 },
    endToEnd: { orders: 200, warmup: 10 },
    hotProduct: {
      levels: [
        { concurrency: 1, orders: 40 },
        { concurrency: 8, orders: 96 },
        { concurrency: 32, orders: 96 },
      ],
      blocks: 2,
    },
    snapshots: { events: 10_000, snapshotAt: 9_950, loads: 4 },
    relays: { instances: 3, steady: 600, killed: 600, concurrency: 8 },
  },
  quick: {
    append: {
      ownStreams: [
        { writers: 1, count: 80 },
        { writers: 32, count: 1280 },
      ],
      hotStream: { writers: 8, count: 120 },
      blocks: 4,
    },
    contention: { writers: [8, 20], rounds: 1 },
    endToEnd: { orders: 40, warmup: 5 },
    hotProduct: {
      levels: [
        { concurrency: 1, orders: 16 },
        { concurrency: 8, orders: 32 },
        { concurrency: 32, orders: 64 },
      ],
      blocks: 2,
    },
    snapshots: { events: 10_000, snapshotAt: 9_950, loads: 2 },
    relays: { instances: 3, steady: 150, killed: 150, concurrency: 8 },
  },
};

const mode = process.argv.includes('--quick') ? 'quick' : 'full';
const plan = PLANS[mode];

/** The parts, in the order they run and report; `--only` names them by letter or by name. */
const PARTS = {
  a: 'append',
  b: 'contention',
  c: 'end-to-end',
  d: 'hot',
  e: 'snapshots',
  f: 'subscriptions',
  g: 'auth',
  h: 'limits',
  i: 'privacy',
  j: 'tracing',
  p: 'projection-lag',
  q: 'concurrent-pushes',
  r: 'rebuild',
  t: 'live-dashboard',
  k: 'relays',
  s: 'cold-start',
  m: 'capacity',
} as const;
type Part = keyof typeof PARTS;
const selected = selectedParts(process.argv.slice(2));

/** `--only=a,auth` or `--only a,auth`: letters or names, comma-separated. Without it, every part. */
function selectedParts(args: readonly string[]): ReadonlySet<Part> {
  const at = args.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (at < 0) return new Set(Object.keys(PARTS) as Part[]);
  const value = args[at]!.startsWith('--only=') ? args[at]!.slice('--only='.length) : (args[at + 1] ?? '');
  const known = Object.entries(PARTS) as Array<[Part, string]>;
  const usage = (problem: string): never => {
    note(
      `bench: ${problem}; the parts are ${known.map(([letter, long]) => `${letter} (${long})`).join(', ')}, e.g. --only=g or --only=auth,hot`,
    );
    process.exit(2);
  };
  const parts = value
    .split(',')
    .filter(Boolean)
    .map((name) => known.find(([letter, long]) => name === letter || name === long)?.[0] ?? usage(`--only: no part "${name}"`));
  return new Set(parts.length > 0 ? parts : usage('--only needs a part'));
}

// The client libraries read these when a client is created, so they are set before any client exists.
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GOOGLE_CLOUD_PROJECT ??= 'demo-eventloom';
// The pipeline's components log JSON to stdout, which carries the report; only errors may interleave.
process.env.LOG_LEVEL ??= 'error';

let emulators: RunningEmulators | undefined;
const clients: Firestore[] = [];
let shuttingDown = false;
let interruptedAt: number | undefined;

/**
 * Emulators already running, as the tests take them (test/globalSetup.ts): when FIRESTORE_EMULATOR_HOST,
 * PUBSUB_EMULATOR_HOST and FIREBASE_AUTH_EMULATOR_HOST all answer, the bench uses them and stops none of them.
 * On a busy machine the Auth emulator can take minutes to start; this skips that for repeated runs.
 */
async function givenEmulators(): Promise<RunningEmulators | undefined> {
  const { FIRESTORE_EMULATOR_HOST: firestoreHost, PUBSUB_EMULATOR_HOST: pubsubHost, FIREBASE_AUTH_EMULATOR_HOST: authHost } = process.env;
  if (!firestoreHost || !pubsubHost || !authHost) return undefined;
  const answers = await Promise.all([emulatorAnswers(firestoreHost), emulatorAnswers(pubsubHost), authEmulatorAnswers(authHost)]);
  if (!answers.every(Boolean)) return undefined;
  return {
    firestoreHost,
    pubsubHost,
    authHost,
    authProjectId: process.env.GCLOUD_PROJECT ?? 'demo-eventloom',
    via: 'gcloud',
    unexpectedExit: new Promise<Error>(() => {}),
    stop: async () => {},
  };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  emulators = await givenEmulators();
  if (!emulators) {
    const starting = startPhase('starting the Firestore, Pub/Sub and Auth emulators', 1);
    emulators = await startEmulators({ firestorePort: 0, pubsubPort: 0, authPort: 0 });
    starting.end();
  }
  process.env.FIRESTORE_EMULATOR_HOST = emulators.firestoreHost;
  process.env.PUBSUB_EMULATOR_HOST = emulators.pubsubHost;
  // firebase-admin reads it when a verifier is created, here and in the processes the bench starts (which
  // inherit this environment): it then accepts the Auth emulator's tokens, and only then.
  process.env.FIREBASE_AUTH_EMULATOR_HOST = emulators.authHost;
  note(`  Firestore on ${emulators.firestoreHost}, Pub/Sub on ${emulators.pubsubHost}, Auth on ${emulators.authHost}`);
  // Should an emulator die mid-run, fail now rather than wait out every timeout that follows.
  const emulatorDied = emulators.unexpectedExit.then((error) => Promise.reject(error));
  emulatorDied.catch(() => {});
  const guarded = <T>(work: Promise<T>): Promise<T> => Promise.race([work, emulatorDied]);
  const runs = (part: Part) => selected.has(part);

  // Each measurement gets its own emulator project, so none scans or listens to another's documents.
  const results: Mutable<Omit<BenchReport, 'mode' | 'totalSeconds'>> = {};
  try {
    await runParts(results, guarded, runs);
  } finally {
    // What finished is reported even when a later part fails: a full run takes long, and its figures are rare.
    const totalSeconds = (performance.now() - startedAt) / 1000;
    if (Object.keys(results).length > 0) process.stdout.write(`${renderReport({ mode, ...results, totalSeconds })}\n`);
  }
  await Promise.all(clients.splice(0).map((db) => db.terminate()));
}

async function runParts(
  results: Mutable<Omit<BenchReport, 'mode' | 'totalSeconds'>>,
  guarded: <T>(work: Promise<T>) => Promise<T>,
  runs: (part: Part) => boolean,
): Promise<void> {
  if (runs('a')) {
    const appendDb = firestore('bench-append');
    await guarded(warmUpFirestore(appendDb, '(a)'));
    results.append = await guarded(measureAppendThroughput(appendDb, plan.append));
  }
  if (runs('b')) {
    const contentionDb = firestore('bench-contention');
    await guarded(warmUpFirestore(contentionDb, '(b)'));
    results.contention = await guarded(measureContention(contentionDb, plan.contention));
  }
  if (runs('c')) {
    // startPipeline() points GOOGLE_CLOUD_PROJECT at a project of its own and creates its clients.
    const endToEnd = await guarded(measureEndToEndLatency(plan.endToEnd));
    results.endToEnd = { ...endToEnd, orders: plan.endToEnd.orders };
  }
  if (runs('d')) {
    const hotProductDb = firestore('bench-hot');
    await guarded(warmUpFirestore(hotProductDb, '(d)'));
    results.hotProduct = await guarded(measureHotProduct(hotProductDb, plan.hotProduct));
  }
  if (runs('e')) {
    const snapshotsDb = firestore('bench-snapshots');
    await guarded(warmUpFirestore(snapshotsDb, '(e)'));
    results.snapshots = await guarded(measureSnapshotLoading(snapshotsDb, plan.snapshots));
  }
  // Its own project, its own processes (the API, the subscribers): see bench/subscriptions.ts.
  if (runs('f')) results.subscriptions = await guarded(measureSubscriptions(SUBSCRIPTION_PLANS[mode]));
  // Its own project and APIs; setting up its shop warms Firestore up: see bench/authCost.ts.
  if (runs('g')) results.authCost = await guarded(measureAuthCost(AUTH_COST_PLANS[mode]));
  if (runs('h')) {
    const limitsDb = firestore('bench-limits');
    await guarded(warmUpFirestore(limitsDb, '(h)'));
    results.queryLimits = await guarded(measureQueryLimits(limitsDb, QUERY_LIMITS_PLANS[mode]));
  }
  if (runs('i')) {
    const privacyDb = firestore('bench-privacy');
    await guarded(warmUpFirestore(privacyDb, '(i)'));
    results.personalData = await guarded(measurePersonalDataCost(privacyDb, PERSONAL_DATA_COST_PLANS[mode]));
  }
  // Its own pipeline (and project), with the OpenTelemetry SDK registered: see bench/tracingOverhead.ts.
  if (runs('j')) results.tracing = await guarded(measureTracingOverhead(TRACING_OVERHEAD_PLANS[mode]));

  // Its own pipeline and project, like (c).
  if (runs('p')) results.projectionLag = await guarded(measureProjectionLag(PROJECTION_LAG_PLANS[mode]));

  // Its own pipeline, without push subscriptions: it pushes to the projectors' own processes itself.
  if (runs('q')) results.concurrentPushes = await guarded(measureConcurrentPushes(CONCURRENT_PUSHES_PLANS[mode]));

  if (runs('r')) {
    const rebuildDb = firestore('bench-rebuild');
    await guarded(warmUpFirestore(rebuildDb, '(r)'));
    results.rebuildRate = await guarded(measureRebuildRate(rebuildDb, REBUILD_RATE_PLANS[mode]));
  }
  if (runs('t')) {
    const liveDashboardDb = firestore('bench-live-dashboard');
    await guarded(warmUpFirestore(liveDashboardDb, '(t)'));
    results.liveDashboard = await guarded(measureLiveDashboard(liveDashboardDb, LIVE_DASHBOARD_PLANS[mode]));
  }
  // Its own project and three API processes: see bench/relayScaleOut.ts.
  if (runs('k')) results.relays = await guarded(measureRelayScaleOut(plan.relays));
  // API processes of its own, started from the build (dist/: `npm run build` first), beside bare yoga ones.
  if (runs('s')) results.coldStart = await guarded(measureColdStart(COLD_START_PLANS[mode]));
  // Its own pipeline and project, every Firestore call of the process counted: see bench/capacity.ts.
  if (runs('m')) results.capacity = await guarded(measureCapacity(CAPACITY_PLANS[mode]));
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function firestore(prefix: string): Firestore {
  const db = createFirestore(`${prefix}-${randomUUID().slice(0, 8)}`);
  clients.push(db);
  return db;
}

/**
 * The emulator's first requests are slow (JVM warm-up: about 1 s for the very first; a project's first
 * request sets up its database), and a client opens its gRPC channels lazily, more of them under load.
 * Writes at both concurrencies before a client measures anything; each measurement then warms its own paths.
 */
async function warmUpFirestore(db: Firestore, label: string): Promise<void> {
  const phase = startPhase(`warming up Firestore for ${label}`, 50 + 300);
  const collection = db.collection('benchWarmUp');
  await runPool(50, 1, async () => void (await collection.add({ at: Date.now() })), phase.tick);
  await runPool(300, 32, async () => void (await collection.add({ at: Date.now() })), phase.tick);
  phase.end();
}

async function shutDown(): Promise<void> {
  // terminate() waits for the client's requests in flight, which against a dead emulator retry for minutes:
  // give them a moment, then stop the emulators regardless (the exit timer below ends what is left).
  const terminated = Promise.allSettled(clients.splice(0).map((db) => db.terminate()));
  await Promise.race([terminated, sleep(2000, undefined, { ref: false })]);
  await emulators?.stop();
}

function onSignal(signal: NodeJS.Signals): void {
  const now = performance.now();
  // tsx relays a Ctrl-C it has not seen us acknowledge within 30 ms, so one keypress can arrive twice.
  if (interruptedAt !== undefined && now - interruptedAt < 1000) return;
  const alreadyStopping = shuttingDown;
  interruptedAt = now;
  if (alreadyStopping) {
    // A second Ctrl-C, or one while stopping anyway: leave now. The watchdogs stop the emulators when our
    // end of their stdin closes.
    process.exit(130);
  }
  shuttingDown = true;
  note(`\n${signal}: stopping the emulators…`);
  void shutDown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  // After Ctrl-C, in-flight work fails against the closed clients: that is the interruption, not news.
  if (interruptedAt === undefined) note(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  if (!shuttingDown) {
    shuttingDown = true;
    const stopping = startPhase('stopping the emulators', 1);
    await shutDown();
    stopping.end();
    // After a clean run everything is closed and the process ends on its own. After a failure, a client may
    // still retry requests or a pipeline component may still be stopping: say so and leave rather than hang.
    // unref(): this timer alone never keeps the process alive.
    setTimeout(() => {
      note('bench: something still holds the event loop after shutdown; exiting anyway');
      process.exit();
    }, 5_000).unref();
  }
}
