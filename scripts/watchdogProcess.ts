// Starting a command under scripts/emulatorWatchdog.cjs, which kills it (and its process group) when our
// stdin pipe to the watchdog closes: so nothing outlives its starter, however the starter ends. Shared by
// the emulator launcher and `npm run dev`'s other processes.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WATCHDOG = fileURLToPath(new URL('./emulatorWatchdog.cjs', import.meta.url));
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export type Command = readonly [file: string, ...args: string[]];

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WatchdogProcess {
  readonly child: ChildProcess;
  /** Settles when the watchdog (and so the command) has exited. */
  readonly exited: Promise<ExitStatus>;
}

/**
 * Spawns `command` under the watchdog, detached in a process group of its own: a signal to the
 * starter's group (Ctrl-C, kill -9 -PGID, a CI timeout) cannot take the watchdog down with its parent,
 * and it must outlive the parent to clean up. Each line printed goes to `onLine`.
 */
export function spawnUnderWatchdog(
  command: Command,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onLine: (line: string, stream: 'stdout' | 'stderr') => void },
): WatchdogProcess {
  const child = spawn(process.execPath, [WATCHDOG, ...command], {
    cwd: options.cwd ?? PROJECT_ROOT,
    ...(options.env ? { env: options.env } : {}),
    detached: true,
    // stdin is never written to: it closing is the watchdog's signal to kill.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => options.onLine(line, name));
  }
  return { child, exited };
}
