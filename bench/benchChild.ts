/**
 * A helper process of the subscription benchmark (the API server, the subscriber swarm), started on the same
 * Node with tsx and `--expose-gc`, and spoken to over its IPC channel: request/response by id, plus progress
 * messages it sends of its own accord.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildMessage {
  readonly type: string;
  readonly requestId?: number;
  readonly [key: string]: unknown;
}

export interface BenchChild {
  request<T extends ChildMessage>(message: ChildMessage, timeoutMs?: number): Promise<T>;
  onProgress(handler: (message: ChildMessage) => void): void;
  /** Resolves when the process has exited (asks it to stop, then kills it if it does not). */
  stop(): Promise<void>;
}

/** Starts `bench/<script>` and waits for its `ready` message. */
export async function startBenchChild(
  script: string,
  env: Record<string, string> = {},
): Promise<{ child: BenchChild; ready: ChildMessage }> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const process_: ChildProcess = fork(path, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(message: ChildMessage): void; reject(error: Error): void }>();
  const progress: Array<(message: ChildMessage) => void> = [];
  let nextId = 1;
  const exited = new Promise<void>((resolve) =>
    process_.once('exit', (code, signal) => {
      for (const { reject } of pending.values()) reject(new Error(`${script} exited (${code ?? signal}) with a request pending`));
      pending.clear();
      resolve();
    }),
  );
  let onReady: ((message: ChildMessage) => void) | undefined;
  process_.on('message', (message: ChildMessage) => {
    if (message.type === 'ready') return onReady?.(message);
    if (message.requestId !== undefined) {
      pending.get(message.requestId)?.resolve(message);
      pending.delete(message.requestId);
      return;
    }
    for (const handler of progress) handler(message);
  });
  const ready = await Promise.race([
    new Promise<ChildMessage>((resolve) => (onReady = resolve)),
    exited.then(() => Promise.reject(new Error(`${script} exited before it was ready`))),
  ]);
  const child: BenchChild = {
    request: <T extends ChildMessage>(message: ChildMessage, timeoutMs = 120_000) =>
      new Promise<T>((resolve, reject) => {
        const requestId = nextId++;
        const timer = setTimeout(() => {
          pending.delete(requestId);
          reject(new Error(`${script}: no answer to ${message.type} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        pending.set(requestId, {
          resolve: (answer) => {
            clearTimeout(timer);
            resolve(answer as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        process_.send({ ...message, requestId });
      }),
    onProgress: (handler) => void progress.push(handler),
    stop: async () => {
      if (process_.exitCode !== null || process_.signalCode !== null) return;
      if (process_.connected) process_.send({ type: 'stop' });
      const killer = setTimeout(() => process_.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
  return { child, ready };
}

/** In a child: answers requests with `handle`, and says it is ready. */
export function serveParent(
  handle: (message: ChildMessage) => Promise<Record<string, unknown>>,
  ready: Record<string, unknown> = {},
): void {
  process.on('message', (message: ChildMessage) => {
    void handle(message).then(
      (answer) => process.send?.({ type: `${message.type}:done`, ...answer, requestId: message.requestId }),
      (error: unknown) => {
        process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
        process.exit(1);
      },
    );
  });
  process.send?.({ type: 'ready', ...ready });
}

/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();
