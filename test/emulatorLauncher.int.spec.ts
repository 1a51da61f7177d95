// The emulator launcher against the real emulators: they must start, answer, and leave no JVM behind
// however their starter goes away.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { authEmulatorAnswers, emulatorAnswers, startEmulators } from '../scripts/emulatorLauncher.ts';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

interface ReadyLine {
  firestoreHost: string;
  pubsubHost: string;
  authHost: string;
  via: string;
}

/** Starting three emulators (the Auth one is a firebase-tools process) takes a while on a busy machine. */
const STARTS = 120_000;

/** Whether each emulator answers: Firestore, Pub/Sub, Auth. */
function answers(firestoreHost: string, pubsubHost: string, authHost: string): Promise<boolean[]> {
  return Promise.all([emulatorAnswers(firestoreHost), emulatorAnswers(pubsubHost), authEmulatorAnswers(authHost)]);
}

/**
 * Emulator processes (JVMs, the Auth emulator's firebase-tools) and their watchdogs whose command line names
 * one of the ports (the Auth emulator's in the name of its config directory).
 */
function emulatorProcessesOn(hosts: string[]): { pid: number; ppid: number; args: string }[] {
  const ports = hosts.map((host) => host.split(':').at(-1));
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args: args! }))
    .filter(({ args }) => /java|processWatchdog|emulators:start/.test(args))
    .filter(({ args }) => ports.some((port) => new RegExp(`--port[= ]${port}\\b|eventloom-auth-${port}-`).test(args)));
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(200);
  }
  return check();
}

describe('startEmulators', () => {
  it('starts Firestore, Pub/Sub and Auth and stops them without leftovers', { timeout: STARTS }, async () => {
    const started = performance.now();
    const emulators = await startEmulators();
    console.log(`emulators (via ${emulators.via}) ready in ${Math.round(performance.now() - started)} ms`);
    const hosts = [emulators.firestoreHost, emulators.pubsubHost, emulators.authHost];

    expect(await answers(emulators.firestoreHost, emulators.pubsubHost, emulators.authHost)).toEqual([true, true, true]);
    // Each of the three, with its watchdog.
    expect(new Set(emulatorProcessesOn([emulators.authHost]).map((p) => p.pid)).size).toBeGreaterThanOrEqual(2);
    expect(emulatorProcessesOn(hosts).length).toBeGreaterThanOrEqual(6);

    const stopping = performance.now();
    await emulators.stop();
    console.log(`emulators stopped in ${Math.round(performance.now() - stopping)} ms`);

    expect(await answers(emulators.firestoreHost, emulators.pubsubHost, emulators.authHost)).toEqual([false, false, false]);
    expect(emulatorProcessesOn(hosts)).toEqual([]);
    await emulators.stop(); // a second stop is harmless
  });

  it('reports a taken port instead of mistaking the emulator already there for its own', { timeout: STARTS }, async () => {
    const first = await startEmulators();
    try {
      const port = Number(first.firestoreHost.split(':').at(-1));
      await expect(startEmulators({ firestorePort: port })).rejects.toThrow(/already in use/);
    } finally {
      await first.stop();
    }
  });
});

describe('global setup', () => {
  it('hands the emulators to tests through inject() and the environment', async () => {
    expect(process.env.FIRESTORE_EMULATOR_HOST).toBe(inject('firestoreHost'));
    expect(process.env.PUBSUB_EMULATOR_HOST).toBe(inject('pubsubHost'));
    expect(process.env.FIREBASE_AUTH_EMULATOR_HOST).toBe(inject('authHost'));
    expect(await authEmulatorAnswers(inject('authHost'))).toBe(true);
    expect(process.env.METADATA_SERVER_DETECTION).toBe('none');
    expect(await emulatorAnswers(inject('firestoreHost'))).toBe(true);
    expect(await emulatorAnswers(inject('pubsubHost'))).toBe(true);
  });
});

describe('npm run emulators', () => {
  let cli: ChildProcess | undefined;

  afterEach(() => {
    // Whatever happened, do not leave the CLI running; its watchdogs take the JVMs down with it.
    if (cli?.pid && cli.exitCode === null && cli.signalCode === null) {
      try {
        process.kill(-cli.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    cli = undefined;
  });

  /** Runs the CLI in a process group of its own, as a shell would, and waits for its ready line. */
  async function startCli(): Promise<{ ready: ReadyLine; exited: Promise<unknown> }> {
    const child = spawn('npx', ['tsx', 'scripts/emulators.ts', '--firestore-port', '0', '--pubsub-port', '0', '--auth-port', '0'], {
      cwd: PROJECT_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cli = child;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    const ready = await Promise.race([
      new Promise<ReadyLine>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line) as ReadyLine))),
      exited.then(() => Promise.reject(new Error(`emulators CLI exited before it was ready:\n${stderr}`))),
    ]);
    return { ready, exited };
  }

  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`leaves no emulator running after ${signal} to its whole process group`, { timeout: STARTS }, async () => {
      const { ready, exited } = await startCli();
      const hosts = [ready.firestoreHost, ready.pubsubHost, ready.authHost];
      expect(await answers(ready.firestoreHost, ready.pubsubHost, ready.authHost)).toEqual([true, true, true]);
      expect(emulatorProcessesOn(hosts).length).toBeGreaterThan(0);

      const killed = performance.now();
      process.kill(-cli!.pid!, signal);
      await exited;
      expect(await eventually(() => emulatorProcessesOn(hosts).length === 0, 10_000)).toBe(true);
      console.log(`after ${signal}: no emulator left ${Math.round(performance.now() - killed)} ms later`);
      expect(await answers(ready.firestoreHost, ready.pubsubHost, ready.authHost)).toEqual([false, false, false]);
    });
  }

  it('leaves no emulator running after SIGKILL to the Node process alone', { timeout: STARTS }, async () => {
    const { ready } = await startCli();
    const hosts = [ready.firestoreHost, ready.pubsubHost, ready.authHost];
    // npx -> sh -> tsx -> node: the process that owns the watchdogs is the innermost node.
    const owner = emulatorProcessesOn(hosts).find(({ args }) => args.includes('processWatchdog'))?.ppid;
    expect(owner).toBeDefined();

    process.kill(owner!, 'SIGKILL');
    expect(await eventually(() => emulatorProcessesOn(hosts).length === 0, 10_000)).toBe(true);
  });
});
