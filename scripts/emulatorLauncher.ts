// Starts the Firestore, Pub/Sub and Firebase Authentication emulators for `npm run dev`, `npm run emulators` and
// the vitest global setup.
//
// The Auth emulator is firebase-tools' own (it is written in Node, so it runs whatever the Java version); it always
// runs as a firebase-tools process of its own, with a throwaway config naming its ports.
//
// Two ways to run them:
//  - `firebase emulators:start`, the natural path on a developer laptop, but firebase-tools refuses Java < 21
//    and cannot download its emulator jars without network;
//  - the Google Cloud SDK's own emulator jars (the same emulators), run with `java` directly.
//
// Every emulator is a SupervisedProcess, run under scripts/processWatchdog.cjs so that no JVM outlives the
// process that started it, however that process ends (see the watchdog for how).

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PROJECT_ROOT } from './projectRoot.ts';
import { SupervisedProcess, type Command } from './supervisedProcess.ts';

export interface EmulatorOptions {
  /** Interface the emulators listen on. Default 127.0.0.1. */
  host?: string;
  /** 0 or undefined: pick a free port. */
  firestorePort?: number;
  /** 0 or undefined: pick a free port. */
  pubsubPort?: number;
  /** 0 or undefined: pick a free port. */
  authPort?: number;
  /** Receives the emulators' output, line by line. Without it the output is kept quiet. */
  log?: (line: string) => void;
}

export interface RunningEmulators {
  /** "host:port", the value for FIRESTORE_EMULATOR_HOST. */
  firestoreHost: string;
  /** "host:port", the value for PUBSUB_EMULATOR_HOST. */
  pubsubHost: string;
  /** "host:port", the value for FIREBASE_AUTH_EMULATOR_HOST. */
  authHost: string;
  /** The project the Auth emulator issues tokens for (their `aud`). */
  authProjectId: string;
  via: 'firebase' | 'gcloud';
  /** Settles with an error if an emulator exits without stop() having been called; otherwise never. */
  unexpectedExit: Promise<Error>;
  /** Stops the emulators and waits until their processes are gone. Safe to call more than once. */
  stop(): Promise<void>;
}

export class EmulatorsUnavailableError extends Error {
  override name = 'EmulatorsUnavailableError';
}

const DEFAULT_SDK_ROOT = '/usr/lib/google-cloud-sdk';
const FIRESTORE_MAIN_CLASS = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';
const FIREBASE_MIN_JAVA = 21;
/**
 * How long an emulator may take to answer. Two minutes is plenty on an idle machine (the Auth emulator takes
 * about 15 s); a machine loaded by parallel builds can set EMULATOR_READY_TIMEOUT_MS higher.
 */
const READY_TIMEOUT_MS = Number(process.env.EMULATOR_READY_TIMEOUT_MS) || 120_000;

/** The emulator ports configured in ./firebase.json (the defaults of firebase-tools where it names none). */
export function firebaseJsonPorts(): { firestore: number; pubsub: number; auth: number } {
  const config = readFirebaseJson();
  return {
    firestore: config.emulators?.firestore?.port ?? 8080,
    pubsub: config.emulators?.pubsub?.port ?? 8085,
    auth: config.emulators?.auth?.port ?? 9099,
  };
}

/**
 * Whether an emulator answers `GET /` with `Ok`, as both do once they accept requests. node:http rather than
 * fetch, which refuses the ports on the WHATWG "bad ports" list (6000, 6665 to 6669, 10080, ...).
 */
export function emulatorAnswers(hostAndPort: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpGet(`http://${hostAndPort}/`, { timeout: 1000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && body.trim() === 'Ok'));
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<RunningEmulators> {
  // A free port picked here can be taken by another process before the JVM binds it (parallel test
  // runs on one machine do this): when the ports were ours to pick, pick again.
  const portsArePicked = !options.firestorePort && !options.pubsubPort && !options.authPort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEmulatorsOnce(options);
    } catch (error) {
      const lostThePort =
        error instanceof Error &&
        /Address already in use|BindException|EADDRINUSE|port .* (is )?(not open|taken|unavailable)/i.test(error.message);
      if (!portsArePicked || !lostThePort || attempt >= 3) throw error;
      options.log?.(`An emulator's port was taken before it could bind it; retrying on new ports (attempt ${attempt + 1}).`);
    }
  }
}

async function startEmulatorsOnce(options: EmulatorOptions): Promise<RunningEmulators> {
  const host = options.host ?? '127.0.0.1';
  const [firestorePort, pubsubPort, authPort, hubPort, loggingPort] = await Promise.all([
    claimPort(host, options.firestorePort, 'Firestore'),
    claimPort(host, options.pubsubPort, 'Pub/Sub'),
    claimPort(host, options.authPort, 'Auth'),
    claimPort(host, undefined, 'emulator hub'),
    claimPort(host, undefined, 'emulator logging'),
  ]);
  const firestoreHost = hostAndPort(host, firestorePort);
  const pubsubHost = hostAndPort(host, pubsubPort);
  const authHost = hostAndPort(host, authPort);
  const authProjectId = firebaseProjectId();

  const plan = await planLaunch();
  const processes: SupervisedProcess[] = [];
  const supervise = (name: string, label: string, { command, cwd }: { command: Command; cwd?: string }) => {
    const { log } = options;
    const emulator = new SupervisedProcess({
      name,
      command,
      ...(cwd ? { cwd } : {}),
      ...(log ? { output: (line: string) => log(`[${label}] ${line}`) } : {}),
      // The emulators run until whoever started them exits; they must not keep it from exiting.
      holdsEventLoop: false,
    });
    processes.push(emulator);
    return emulator;
  };
  let cleanup = async (): Promise<void> => {};
  try {
    const authLaunch = await authEmulatorLaunch(host, authPort, hubPort, loggingPort, authProjectId);
    const previousCleanup = cleanup;
    cleanup = async () => {
      await previousCleanup();
      await authLaunch.cleanup();
    };
    const auth = supervise('Auth emulator', 'auth', authLaunch);
    const authReady = auth.waitUntil(() => authEmulatorAnswers(authHost), authHost, READY_TIMEOUT_MS);
    if (plan.via === 'firebase') {
      const launch = await firebaseLaunch(host, firestorePort, pubsubPort);
      const authCleanup = cleanup;
      cleanup = async () => {
        await authCleanup();
        await launch.cleanup();
      };
      const firebase = supervise('firebase-tools (Firestore and Pub/Sub emulators)', 'firebase', launch);
      await Promise.all([
        firebase.waitUntil(() => emulatorAnswers(firestoreHost), `${firestoreHost} (Firestore)`, READY_TIMEOUT_MS),
        firebase.waitUntil(() => emulatorAnswers(pubsubHost), `${pubsubHost} (Pub/Sub)`, READY_TIMEOUT_MS),
        authReady,
      ]);
    } else {
      const firestore = supervise('Firestore emulator', 'firestore', { command: plan.firestore(host, firestorePort) });
      const pubsub = supervise('Pub/Sub emulator', 'pubsub', { command: plan.pubsub(host, pubsubPort) });
      await Promise.all([
        firestore.waitUntil(() => emulatorAnswers(firestoreHost), firestoreHost, READY_TIMEOUT_MS),
        pubsub.waitUntil(() => emulatorAnswers(pubsubHost), pubsubHost, READY_TIMEOUT_MS),
        authReady,
      ]);
    }
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    await cleanup();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    firestoreHost,
    pubsubHost,
    authHost,
    authProjectId,
    via: plan.via,
    unexpectedExit: Promise.race(processes.map((p) => p.unexpectedExit.then((exit) => new Error(`${p.name} ${exit}.\n${p.outputTail()}`)))),
    stop() {
      stopping ??= Promise.all(processes.map((p) => p.stop())).then(cleanup);
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Choosing how to launch

type LaunchPlan =
  | { via: 'firebase' }
  | {
      via: 'gcloud';
      firestore: (host: string, port: number) => Command;
      pubsub: (host: string, port: number) => Command;
    };

async function planLaunch(): Promise<LaunchPlan> {
  const firestoreOverride = process.env.FIRESTORE_EMULATOR_BINARY_PATH || undefined;
  const pubsubOverride = process.env.PUBSUB_EMULATOR_BINARY_PATH || undefined;
  const [javaMajor, sdkRoot] = await Promise.all([
    javaMajorVersion(),
    firestoreOverride && pubsubOverride ? Promise.resolve(undefined) : googleCloudSdkRoot(),
  ]);

  if (javaMajor !== undefined && javaMajor >= FIREBASE_MIN_JAVA && firebaseEmulatorsInstalled()) {
    return { via: 'firebase' };
  }

  const firestoreJar = sdkRoot && join(sdkRoot, 'platform', 'cloud-firestore-emulator', 'cloud-firestore-emulator.jar');
  const pubsubJar = sdkRoot && newestPubsubJar(join(sdkRoot, 'platform', 'pubsub-emulator', 'lib'));
  const firestoreBinary = firestoreOverride ?? (firestoreJar && existsSync(firestoreJar) ? firestoreJar : undefined);
  const pubsubBinary = pubsubOverride ?? pubsubJar;

  if (javaMajor === undefined || !firestoreBinary || !pubsubBinary) {
    const found = [
      javaMajor === undefined ? 'no `java` on PATH' : `Java ${javaMajor}`,
      firestoreBinary ? undefined : `no Firestore emulator in ${sdkRoot ?? DEFAULT_SDK_ROOT}`,
      pubsubBinary ? undefined : `no Pub/Sub emulator in ${sdkRoot ?? DEFAULT_SDK_ROOT}`,
    ].filter(Boolean);
    throw new EmulatorsUnavailableError(
      `Cannot start the Firestore and Pub/Sub emulators (found: ${found.join(', ')}). Install either ` +
        `Java ${FIREBASE_MIN_JAVA}+ and firebase-tools' emulators (\`npx firebase setup:emulators:firestore\` and ` +
        '`npx firebase setup:emulators:pubsub`), or Java 17+ and the Google Cloud SDK packages ' +
        'google-cloud-cli-firestore-emulator and google-cloud-cli-pubsub-emulator ' +
        '(or point FIRESTORE_EMULATOR_BINARY_PATH / PUBSUB_EMULATOR_BINARY_PATH at the emulators).',
    );
  }

  return {
    via: 'gcloud',
    // The SDK's Firestore jar has no Main-Class, hence -cp; its wrapper script would not exec java, which
    // is why a script given as override still runs only under the watchdog's process-group kill.
    firestore: (host, port) =>
      firestoreBinary.endsWith('.jar')
        ? ['java', '-Duser.language=en', '-cp', firestoreBinary, FIRESTORE_MAIN_CLASS, 'start', `--host=${host}`, `--port=${port}`]
        : [firestoreBinary, 'start', `--host=${host}`, `--port=${port}`],
    pubsub: (host, port) =>
      pubsubBinary.endsWith('.jar')
        ? ['java', '-jar', pubsubBinary, `--host=${host}`, `--port=${port}`]
        : [pubsubBinary, `--host=${host}`, `--port=${port}`],
  };
}

/** The major version `java -version` reports (8 for "1.8.0_392"), or undefined without a working java. */
async function javaMajorVersion(): Promise<number | undefined> {
  const output = await run('java', ['-version']);
  const match = output && /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

async function googleCloudSdkRoot(): Promise<string | undefined> {
  const reported = (await run('gcloud', ['info', '--format=value(installation.sdk_root)']))?.trim();
  if (reported && existsSync(reported)) return reported;
  return existsSync(DEFAULT_SDK_ROOT) ? DEFAULT_SDK_ROOT : undefined;
}

function newestPubsubJar(libDir: string): string | undefined {
  if (!existsSync(libDir)) return undefined;
  const jars = readdirSync(libDir)
    .filter((name) => /^cloud-pubsub-emulator-.*\.jar$/.test(name))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = jars.at(-1);
  return newest && join(libDir, newest);
}

/**
 * Whether `firebase emulators:start` can run both emulators offline: the exact jar versions this
 * firebase-tools pins must already be in its cache, or be overridden through the environment.
 */
function firebaseEmulatorsInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const pinned = require('firebase-tools/lib/emulator/downloadableEmulatorInfo.json') as {
      firestore: { downloadPathRelativeToCacheDir: string };
      pubsub: { binaryPathRelativeToCacheDir: string };
    };
    const cacheDir = process.env.FIREBASE_EMULATORS_PATH || join(homedir(), '.cache', 'firebase', 'emulators');
    const firestore =
      !!process.env.FIRESTORE_EMULATOR_BINARY_PATH || existsSync(join(cacheDir, pinned.firestore.downloadPathRelativeToCacheDir));
    const pubsub = !!process.env.PUBSUB_EMULATOR_BINARY_PATH || existsSync(join(cacheDir, pinned.pubsub.binaryPathRelativeToCacheDir));
    return firestore && pubsub;
  } catch {
    return false;
  }
}

/**
 * firebase-tools takes ports only from a firebase.json. On the ports of the project's own file it runs on that
 * file (so rules edits still reload); on other ports it gets a throwaway copy in a temporary directory, with
 * copies of the rules and indexes, because firebase-tools refuses paths outside the config's directory.
 */
async function firebaseLaunch(
  host: string,
  firestorePort: number,
  pubsubPort: number,
): Promise<{ command: Command; cwd: string; cleanup: () => Promise<void> }> {
  const firebaseBin = createRequire(import.meta.url).resolve('firebase-tools/lib/bin/firebase.js');
  const config = readFirebaseJson();
  const projectId = firebaseProjectId();
  const args = ['emulators:start', '--only', 'firestore,pubsub', '--project', projectId, '--non-interactive'];
  const configured = config.emulators;
  if (
    configured?.firestore?.port === firestorePort &&
    configured.pubsub?.port === pubsubPort &&
    (configured.firestore.host ?? '127.0.0.1') === host &&
    (configured.pubsub.host ?? '127.0.0.1') === host
  ) {
    return { command: [process.execPath, firebaseBin, ...args], cwd: PROJECT_ROOT, cleanup: async () => {} };
  }

  const dir = await mkdtemp(join(tmpdir(), 'eventloom-firebase-'));
  const firestore = { ...config.firestore };
  for (const key of ['rules', 'indexes'] as const) {
    const file = firestore[key];
    if (file && existsSync(join(PROJECT_ROOT, file))) {
      await copyFile(join(PROJECT_ROOT, file), join(dir, basename(file)));
      firestore[key] = basename(file);
    } else {
      delete firestore[key];
    }
  }
  const emulators = {
    ...config.emulators,
    firestore: { ...config.emulators?.firestore, host, port: firestorePort },
    pubsub: { ...config.emulators?.pubsub, host, port: pubsubPort },
  };
  await writeFile(join(dir, 'firebase.json'), JSON.stringify({ firestore, emulators }, null, 2));
  return {
    command: [process.execPath, firebaseBin, ...args, '--config', join(dir, 'firebase.json')],
    cwd: dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * `firebase emulators:start --only auth` in a temporary directory (it writes its debug log to the working
 * directory), with every port it takes named, so that several runs can overlap on one machine.
 */
async function authEmulatorLaunch(
  host: string,
  authPort: number,
  hubPort: number,
  loggingPort: number,
  projectId: string,
): Promise<{ command: Command; cwd: string; cleanup: () => Promise<void> }> {
  const firebaseBin = createRequire(import.meta.url).resolve('firebase-tools/lib/bin/firebase.js');
  // The port in the directory's name, which is on the command line, lets tools find the process by its port.
  const dir = await mkdtemp(join(tmpdir(), `eventloom-auth-${authPort}-`));
  const emulators = {
    auth: { host, port: authPort },
    hub: { host, port: hubPort },
    logging: { host, port: loggingPort },
    ui: { enabled: false },
    singleProjectMode: false,
  };
  await writeFile(join(dir, 'firebase.json'), JSON.stringify({ emulators }, null, 2));
  return {
    command: [
      process.execPath,
      firebaseBin,
      'emulators:start',
      '--only',
      'auth',
      '--project',
      projectId,
      '--non-interactive',
      '--config',
      join(dir, 'firebase.json'),
    ],
    cwd: dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Whether the Auth emulator answers `GET /` with its `{"authEmulator": {"ready": true}}`. */
export function authEmulatorAnswers(hostAndPort: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpGet(`http://${hostAndPort}/`, { timeout: 1000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 && (JSON.parse(body) as { authEmulator?: { ready?: boolean } }).authEmulator?.ready === true);
        } catch {
          resolve(false);
        }
      });
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

interface FirebaseJson {
  firestore?: { rules?: string; indexes?: string };
  emulators?: {
    firestore?: { host?: string; port?: number };
    pubsub?: { host?: string; port?: number };
    auth?: { host?: string; port?: number };
    [otherEmulatorOrSetting: string]: unknown;
  };
}

function readFirebaseJson(): FirebaseJson {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'firebase.json'), 'utf8')) as FirebaseJson;
}

/** The project of ./.firebaserc, the emulators' project (and so the Auth emulator's tokens'). */
export function firebaseProjectId(): string {
  try {
    const rc = JSON.parse(readFileSync(join(PROJECT_ROOT, '.firebaserc'), 'utf8')) as { projects?: { default?: unknown } };
    return typeof rc.projects?.default === 'string' ? rc.projects.default : 'demo-eventloom';
  } catch {
    return 'demo-eventloom';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ports and commands

/**
 * A port to hand to an emulator: a free one for 0/undefined, else the requested one, checked to be free so
 * that an emulator already running there is reported instead of being mistaken for ours.
 */
async function claimPort(host: string, requested: number | undefined, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${requested} on ${host} for the ${name} emulator is already in use (another emulator running?).`)
          : error,
      ),
    );
    server.listen({ host, port: requested ?? 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function hostAndPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** stdout and stderr of a short command, or undefined if it cannot run or fails. */
function run(file: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 15_000 }, (error, stdout, stderr) => resolve(error ? undefined : `${stdout}${stderr}`));
  });
}
