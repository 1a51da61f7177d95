// `npm run dev [-- --verbose] [-- --no-seed] [-- --seed-orders N]`
//
// The whole pipeline on this machine: the Firestore and Pub/Sub emulators, one functions-framework process per
// projector with its push subscription, and the API (GraphQL over HTTP, SSE and WebSocket, plus the outbox
// relay). Prints where everything runs, then every process's log lines behind its name, until Ctrl-C or
// SIGTERM stops it all; if any process dies on its own, dev stops the rest and exits non-zero.
// --verbose adds the emulators' own output. Unless --no-seed, the demo shop is loaded through the API once it runs.

import { parseArgs, styleText } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { DEAD_LETTER_SINK, DEADLINE_SWEEP, projectors, ROLL_UP_SWEEP, subscribers, workflows } from '../functions/projectors.ts';
import { loadConfig, loadTelemetryConfig } from '../src/config.ts';
import { ensureTopology } from '../src/pubsub/topology.ts';
import { assertPortsFree, FIRST_FUNCTION_PORT, functionPorts } from './devPorts.ts';
import { firebaseJsonPorts, startEmulators, type RunningEmulators } from './emulatorLauncher.ts';
import { DEMO_PASSWORD, DEMO_STAFF, ensureIdentity } from './identities.ts';
import { projectorFunction } from './projectorFunctions.ts';
import { seedShop } from './seed/seedShop.ts';
import { SupervisedProcess, type Command } from './supervisedProcess.ts';

// A `demo-` project id can never reach real Google Cloud resources; .firebaserc names the same one.
const PROJECT_ID = 'demo-eventloom';

// dev's own Pub/Sub client talks to the emulator only; without this it probes for a GCE metadata server and warns.
process.env.METADATA_SERVER_DETECTION = 'none';

const { values: flags } = parseArgs({
  options: {
    verbose: { type: 'boolean', default: false },
    // The emulators start empty every time, so by default the demo shop is loaded through the real commands.
    'no-seed': { type: 'boolean', default: false },
    'seed-orders': { type: 'string', default: '150' },
  },
});
const config = loadConfig({ ...process.env, GOOGLE_CLOUD_PROJECT: PROJECT_ID });
const emulatorPorts = firebaseJsonPorts();
const projectorNames = Object.keys(projectors);
// The projectors, then the dead-letter sink that their dead-letter topics push to.
const functionNames = [...projectorNames, ...Object.keys(workflows), DEADLINE_SWEEP, ROLL_UP_SWEEP, DEAD_LETTER_SINK];
const ports = functionPorts(functionNames.length, [emulatorPorts.firestore, emulatorPorts.pubsub, config.port]);
const functions = functionNames.map((name, i) => projectorFunction(name, ports[i]!));
// The functions pushed domain events: the projectors and the workflows.
const projectorFunctions = functions.filter((fn) => fn.name in subscribers);
const deadlineSweep = functions.find((fn) => fn.name === DEADLINE_SWEEP)!;
const rollUpSweep = functions.find((fn) => fn.name === ROLL_UP_SWEEP)!;
const deadLetterSink = functions.find((fn) => fn.name === DEAD_LETTER_SINK)!;
const graphqlUrl = `http://localhost:${config.port}/graphql`;

// ---------------------------------------------------------------------------------------------------------
// Output: every line behind the name of the process that printed it, the rest of the line left untouched so
// the JSON logs stay parseable (`npm run dev | sed 's/^[^|]*| //' | jq` or the like).

const COLORS = ['cyan', 'magenta', 'yellow', 'green', 'blue'] as const;
const labelWidth = Math.max(...['dev', 'api', ...projectorNames].map((name) => name.length));

function printerFor(name: string, color: (typeof COLORS)[number] | 'gray') {
  return (text: string, stream: 'stdout' | 'stderr' = 'stdout'): void => {
    const out = stream === 'stdout' ? process.stdout : process.stderr;
    const label = styleText(color, name.padEnd(labelWidth), { stream: out });
    for (const line of text.split('\n')) out.write(`${label} | ${line}\n`);
  };
}

const say = printerFor('dev', 'gray');

// ---------------------------------------------------------------------------------------------------------
// Stopping, which may begin at any point of starting: whatever has started by then is stopped.

let emulators: RunningEmulators | undefined;
const functionProcesses: SupervisedProcess[] = [];
let api: SupervisedProcess | undefined;
let stopping = false;

async function stopEverything(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(reason, exitCode === 0 ? 'stdout' : 'stderr');
  // Whatever a stuck stop leaves behind, the watchdogs kill once this process is gone.
  setTimeout(() => process.exit(exitCode || 1), 20_000).unref();
  try {
    // The API first, so its outbox relay stops publishing into subscriptions whose functions are going away.
    await api?.stop();
    await Promise.all(functionProcesses.map((fn) => fn.stop()));
    await emulators?.stop();
  } catch (error) {
    say(`Could not stop everything cleanly: ${error instanceof Error ? error.message : String(error)}`, 'stderr');
    process.exit(1);
  }
  process.exit(exitCode);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void stopEverything(`${signal}: stopping the API, the functions and the emulators.`, 0));
}

function supervise(name: string, command: Command, env: NodeJS.ProcessEnv, color: (typeof COLORS)[number]) {
  const child = new SupervisedProcess({ name, command, env, output: printerFor(name, color) });
  void child.unexpectedExit.then((exit) => stopEverything(`${name} ${exit}: stopping everything else.`, 1));
  return child;
}

// ---------------------------------------------------------------------------------------------------------
// Starting

try {
  await assertPortsFree([
    { port: emulatorPorts.firestore, owner: 'Firestore emulator', configuredIn: 'firebase.json' },
    { port: emulatorPorts.pubsub, owner: 'Pub/Sub emulator', configuredIn: 'firebase.json' },
    { port: emulatorPorts.auth, owner: 'Auth emulator', configuredIn: 'firebase.json' },
    ...functions.map((fn) => ({
      port: fn.port,
      owner: `function ${fn.name}`,
      configuredIn: `scripts/devPorts.ts, from FIRST_FUNCTION_PORT = ${FIRST_FUNCTION_PORT} on`,
    })),
    { port: config.port, owner: 'GraphQL API', configuredIn: 'the PORT environment variable, default 4000' },
  ]);

  say('Starting the Firestore, Pub/Sub and Auth emulators…');
  emulators = await startEmulators({
    firestorePort: emulatorPorts.firestore,
    pubsubPort: emulatorPorts.pubsub,
    authPort: emulatorPorts.auth,
    ...(flags.verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}),
  });
  void emulators.unexpectedExit.then((error) => stopEverything(`${error.message}\nStopping everything else.`, 1));

  say(`Creating the demo staff accounts (${DEMO_STAFF.map((staff) => staff.email).join(', ')}) in the Auth emulator…`);
  await createDemoStaff(emulators);

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: PROJECT_ID,
    FIRESTORE_EMULATOR_HOST: emulators.firestoreHost,
    PUBSUB_EMULATOR_HOST: emulators.pubsubHost,
    FIREBASE_AUTH_EMULATOR_HOST: emulators.authHost,
    AUTH_PROJECT_ID: emulators.authProjectId,
    METADATA_SERVER_DETECTION: 'none',
    LOG_LEVEL: config.logLevel,
  };

  say(`Starting ${functions.map((fn) => `${fn.name} on :${fn.port}`).join(', ')}…`);
  const functionsEnv = functionTelemetryEnv();
  await Promise.all(
    functions.map((fn, i) => {
      // FUNCTION_TARGET, as Cloud Run functions set it: the function's telemetry starts, named after it.
      const env = { ...childEnv, ...functionsEnv, FUNCTION_TARGET: fn.name };
      const child = supervise(fn.name, fn.command, env, COLORS[(i + 1) % COLORS.length]!);
      functionProcesses.push(child);
      // functions-framework answers /robots.txt itself (404) without invoking the function.
      return child.waitUntilAnswers(`http://127.0.0.1:${fn.port}/robots.txt`, 404);
    }),
  );

  say(`Creating topic ${config.domainEventsTopic} and the push subscriptions…`);
  const pubsub = new PubSub({ projectId: PROJECT_ID, apiEndpoint: emulators.pubsubHost, emulatorMode: true });
  try {
    await ensureTopology(pubsub, {
      topic: config.domainEventsTopic,
      subscriptions: projectorFunctions.map((fn) => fn.subscription),
      deadLetters: { sinkEndpoint: deadLetterSink.subscription.pushEndpoint, maxDeliveryAttempts: 5 },
      otherTopics: [config.integrationEventsTopic],
    });
  } finally {
    await pubsub.close();
  }

  say(`Starting the API on :${config.port}…`);
  const apiCommand: Command = [process.execPath, '--import', 'tsx', 'src/main.ts'];
  api = supervise('api', apiCommand, { ...childEnv, PORT: String(config.port) }, COLORS[0]);
  // yoga's health check: a GraphQL GET would need the CSRF header, which this probe does not send.
  await api.waitUntilAnswers(`http://localhost:${config.port}/health`, 200);

  startSweeps();
  printWhereEverythingRuns(emulators);
  if (!flags['no-seed']) void seedDemoShop(emulators);
} catch (error) {
  await stopEverything(error instanceof Error ? error.message : String(error), 1);
}

/**
 * Where the functions send their spans: to the API's operator port, whose OTLP receiver puts them in the same
 * in-memory buffer as the API's own, so `npm run traces` shows every hop of an order (unless the developer set
 * OTEL_EXPORTER_OTLP_ENDPOINT for everything, or the operator port is picked at random). Exported every half
 * second rather than every 5 s, so a trace is whole by the time anyone looks.
 */
function functionTelemetryEnv(): NodeJS.ProcessEnv {
  const telemetry = loadTelemetryConfig({ ...process.env, GOOGLE_CLOUD_PROJECT: PROJECT_ID });
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || telemetry.ops.port === 0) return {};
  const host = telemetry.ops.host === '0.0.0.0' ? '127.0.0.1' : telemetry.ops.host;
  return { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${host}:${telemetry.ops.port}`, OTEL_BSP_SCHEDULE_DELAY: '500' };
}

/**
 * Loads the demo shop through the API while everything runs, signed in as demo accounts it creates in the
 * Auth emulator; progress goes to the log like any process's.
 */
async function seedDemoShop(running: RunningEmulators): Promise<void> {
  const orders = Number(flags['seed-orders']);
  say(`Seeding the demo shop through the API (${orders} orders; --no-seed to skip)…`);
  let lastPhase = '';
  try {
    const summary = await seedShop({
      url: graphqlUrl,
      orders,
      concurrency: 4,
      authEmulator: { host: running.authHost, projectId: running.authProjectId },
      onProgress: ({ phase, done, total }) => {
        if (phase !== lastPhase || done === total || done % 50 === 0) say(`seed ${phase}: ${done}/${total}`);
        lastPhase = phase;
      },
    });
    say(`Seeded: ${JSON.stringify({ products: summary.products.total, customers: summary.customers.total, orders: summary.orders })}`);
    const { customers, password } = summary.identities;
    if (customers.length > 0) say(`customers: ${customers[0]!.email} … (${customers.length}), password ${password}`);
  } catch (error) {
    say(`Seeding failed (everything else keeps running): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The demo staff, one account per role, to sign in to the dashboard (operator) and to call staff-only
 * fields with. The emulator starts empty, so they are created on every start.
 */
async function createDemoStaff(running: RunningEmulators): Promise<void> {
  // firebase-admin, which ensureIdentity uses, finds the Auth emulator through this variable.
  process.env.FIREBASE_AUTH_EMULATOR_HOST = running.authHost;
  for (const identity of DEMO_STAFF) await ensureIdentity(running.authProjectId, identity);
}

/**
 * What Cloud Scheduler does in production: call the deadline sweep and the roll-up sweep every minute (here more
 * often, so an order left unpaid is cancelled within seconds of its deadline). A failed call is logged; the next
 * one tries again.
 */
const SWEEP_EVERY_MS = 15_000;
function startSweeps(): void {
  const call = (fn: typeof deadlineSweep, worthSaying: (swept: Record<string, unknown>) => boolean) =>
    fetch(fn.subscription.pushEndpoint, { method: 'POST' })
      .then(async (response) => {
        const swept = (await response.json()) as Record<string, unknown>;
        if (!response.ok || worthSaying(swept)) say(`${fn.name}: HTTP ${response.status} ${JSON.stringify(swept)}`);
      })
      .catch((error: unknown) => say(`${fn.name} failed: ${error instanceof Error ? error.message : String(error)}`, 'stderr'));
  const timer = setInterval(() => {
    if (stopping) return;
    void call(deadlineSweep, (swept) => (swept.due as number) > 0);
    // Folding what projectors left pending is routine: only a failure is worth a line.
    void call(rollUpSweep, () => false);
  }, SWEEP_EVERY_MS);
  timer.unref();
}

function printWhereEverythingRuns(running: RunningEmulators): void {
  const rows: [string, string][] = [
    ['Firestore emulator', running.firestoreHost],
    ['Pub/Sub emulator', `${running.pubsubHost}  (topic ${config.domainEventsTopic})`],
    ['Auth emulator', `${running.authHost}  (project ${running.authProjectId})`],
    ...projectorFunctions.map((fn): [string, string] => [
      `function ${fn.name}`,
      `${fn.subscription.pushEndpoint}  (push subscription ${fn.subscription.name})`,
    ]),
    [`function ${deadlineSweep.name}`, `${deadlineSweep.subscription.pushEndpoint}  (called every ${SWEEP_EVERY_MS / 1000} s)`],
    [`function ${rollUpSweep.name}`, `${rollUpSweep.subscription.pushEndpoint}  (called every ${SWEEP_EVERY_MS / 1000} s)`],
    [`function ${deadLetterSink.name}`, `${deadLetterSink.subscription.pushEndpoint}  (every projector's dead letters)`],
    [config.graphiql ? 'GraphQL + GraphiQL' : 'GraphQL', graphqlUrl],
    ['GraphQL over WebSocket', graphqlUrl.replace(/^http/, 'ws')],
    ['Live dashboard', graphqlUrl.replace(/\/graphql$/, '/dashboard')],
    ...DEMO_STAFF.map((staff): [string, string] => [`Staff: ${staff.roles?.join(', ')}`, `${staff.email}  password ${DEMO_PASSWORD}`]),
  ];
  const width = Math.max(...rows.map(([what]) => what.length));
  say(`Running (emulators via ${running.via}, project ${PROJECT_ID}):`);
  for (const [what, where] of rows) say(`  ${what.padEnd(width)}  ${where}`);
  say('Ctrl-C stops everything. Log lines follow, each behind the name of its process.');
}
