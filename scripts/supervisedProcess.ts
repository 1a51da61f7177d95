// A process that `npm run dev` runs next to the emulators (a projector function, the API).
//
// It runs under the watchdog (scripts/watchdogProcess.ts), so nothing outlives dev however dev ends, even by
// SIGKILL. Its output arrives line by line; its exit is reported unless stop() asked for it.

import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnUnderWatchdog, type Command, type ExitStatus } from './watchdogProcess.ts';

export type { Command };

const POLL_MS = 100;

export interface SupervisedProcessOptions {
  readonly name: string;
  readonly command: Command;
  readonly env: NodeJS.ProcessEnv;
  /** Receives each line the process prints, with the stream it printed it to. */
  readonly output: (line: string, stream: 'stdout' | 'stderr') => void;
}

export class SupervisedProcess {
  readonly name: string;
  /** Settles with a description of the exit if the process ends without stop() having been called. */
  readonly unexpectedExit: Promise<string>;
  private readonly child: ChildProcess;
  private readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;
  private stopRequested = false;

  constructor(options: SupervisedProcessOptions) {
    this.name = options.name;
    // Its own process group also means Ctrl-C in the terminal reaches dev alone, which then stops its
    // children in order (API, functions, emulators) and can tell their exits from crashes.
    ({ child: this.child, exited: this.exited } = spawnUnderWatchdog(options.command, { env: options.env, onLine: options.output }));
    void this.exited.then((status) => {
      this.exitStatus = status;
    });
    this.unexpectedExit = this.exited.then(
      (status) =>
        new Promise<string>((resolve) => {
          if (!this.stopRequested) resolve(describeExit(status));
        }),
    );
  }

  /**
   * Polls `url` until it answers with `status`. Fails if the process exits first or `timeoutMs` passes.
   * Any other status counts as not ready yet (a server that is still starting may answer 503).
   */
  async waitUntilAnswers(url: string, status: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitStatus) throw new Error(`${this.name} ${describeExit(this.exitStatus)} before answering ${url}.`);
      if ((await statusOf(url)) === status) return;
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer ${url} within ${timeoutMs / 1000} s.`);
      await sleep(POLL_MS);
    }
  }

  /** Asks the process to stop and waits until it has: SIGTERM, then SIGKILL 3 s later (the watchdog's grace). */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.exitStatus) return;
    this.child.stdin?.end();
    await this.exited;
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
