// A process the scripts start and must not leave behind: an emulator, a projector function or the API of
// `npm run dev`.
//
// Each runs under scripts/processWatchdog.cjs, which kills it (and its process group) when our stdin pipe to
// the watchdog closes, so nothing outlives its starter however the starter ends, even by SIGKILL. Its output
// arrives line by line, the last lines are kept for error messages, and its exit is reported unless stop()
// asked for it.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from './projectRoot.ts';

const WATCHDOG = fileURLToPath(new URL('./processWatchdog.cjs', import.meta.url));
const POLL_MS = 100;
const OUTPUT_TAIL_LINES = 50;
/** The watchdog escalates to SIGKILL 3 s after asking; past this, something is badly wrong. */
const STOP_TIMEOUT_MS = 15_000;

export type Command = readonly [file: string, ...args: string[]];

interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SupervisedProcessOptions {
  /** Names the process in error messages ("Firestore emulator", "api"). */
  readonly name: string;
  readonly command: Command;
  /** Default: the project root, so commands can name files relative to it. */
  readonly cwd?: string;
  /** Default: this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives each line the process prints, with the stream it printed it to. */
  readonly output?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Whether the process keeps this one's event loop alive (default true). The emulators do not: whoever
   * started them exits when it is done, and the closing stdin pipe is what tells the watchdog to stop them.
   */
  readonly holdsEventLoop?: boolean;
}

export class SupervisedProcess {
  readonly name: string;
  /** Settles with a description of the exit ("exited with code 1") if the process ends without stop() having been called. */
  readonly unexpectedExit: Promise<string>;
  private readonly child: ChildProcess;
  private readonly exited: Promise<ExitStatus>;
  private readonly tail: string[] = [];
  private exitStatus: ExitStatus | undefined;
  private stopRequested = false;

  constructor(options: SupervisedProcessOptions) {
    this.name = options.name;
    // Detached, in a process group of its own: a signal to the starter's group (Ctrl-C, kill -9 -PGID, a CI
    // timeout) cannot take the watchdog down with its parent, and it must outlive the parent to clean up. It
    // also means Ctrl-C reaches `npm run dev` alone, which then stops its children in order (API, functions,
    // emulators) and can tell their exits from crashes.
    this.child = spawn(process.execPath, [WATCHDOG, ...options.command], {
      cwd: options.cwd ?? PROJECT_ROOT,
      ...(options.env ? { env: options.env } : {}),
      detached: true,
      // stdin is never written to: it closing is the watchdog's signal to kill.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const [stream, name] of [
      [this.child.stdout, 'stdout'],
      [this.child.stderr, 'stderr'],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
        options.output?.(line, name);
      });
    }
    void this.exited.then((status) => {
      this.exitStatus = status;
    });
    this.unexpectedExit = this.exited.then(
      (status) =>
        new Promise<string>((resolve) => {
          if (!this.stopRequested) resolve(describeExit(status));
        }),
    );
    if (options.holdsEventLoop === false) {
      this.child.unref();
      for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) (stream as Socket | null)?.unref();
    }
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** The last lines the process printed, for error messages. */
  outputTail(): string {
    return this.tail.length > 0 ? `Last output of ${this.name}:\n  ${this.tail.join('\n  ')}` : `${this.name} printed nothing.`;
  }

  /**
   * Polls `ready` until it holds. Fails, with the process's last output, if the process exits first or
   * `timeoutMs` passes; `what` names what is awaited in those messages ("http://…", "127.0.0.1:8080").
   */
  async waitUntil(ready: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await ready())) {
      if (this.exitStatus) throw new Error(`${this.name} ${describeExit(this.exitStatus)} before answering ${what}. ${this.outputTail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer ${what} within ${timeoutMs / 1000} s. ${this.outputTail()}`);
      await sleep(POLL_MS);
    }
  }

  /**
   * Polls `url` until it answers with `status`. Any other status counts as not ready yet (a server that is
   * still starting may answer 503).
   */
  waitUntilAnswers(url: string, status: number, timeoutMs = 60_000): Promise<void> {
    return this.waitUntil(async () => (await statusOf(url)) === status, url, timeoutMs);
  }

  /** Asks the process to stop and waits until it has: SIGTERM, then SIGKILL 3 s later (the watchdog's grace). */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.exitStatus) return;
    // Hold the event loop open until the watchdog reports back, so `await stop()` really waits.
    this.child.ref();
    // Either tells the watchdog to stop the process; killing the watchdog itself would orphan it.
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
    const gaveUp = await Promise.race([this.exited.then(() => false), sleep(STOP_TIMEOUT_MS, true, { ref: false })]);
    if (gaveUp) throw new Error(`${this.name} did not stop within ${STOP_TIMEOUT_MS / 1000} s (watchdog pid ${this.child.pid}).`);
  }
}

async function statusOf(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}

/** The watchdog exits with its child's status, a signal death showing as 128 + the signal's number. */
function describeExit({ code, signal }: ExitStatus): string {
  if (signal) return `was killed by ${signal}`;
  const childSignal = code !== null && code > 128 ? signalName(code - 128) : undefined;
  return childSignal ? `exited with code ${code} (killed by ${childSignal})` : `exited with code ${code}`;
}

function signalName(signalNumber: number): string | undefined {
  return Object.entries(constants.signals).find(([, number]) => number === signalNumber)?.[0];
}
