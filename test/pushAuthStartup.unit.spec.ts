/**
 * A projector function starting as Cloud Functions and `npm run dev` start it (functions-framework loading
 * functions/index.ts): with push authentication off outside the emulators it refuses to start at all;
 * with the emulators it starts, and says once that its push endpoints take deliveries from anyone.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectorFunction } from '../scripts/projectorFunctions.ts';

interface Started {
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  stop(): void;
}

function startProjector(env: Record<string, string>): Started {
  const [command, ...args] = projectorFunction('projectInventoryCount', 0).command;
  // Nothing of this process's environment (the test emulators' hosts above all): only what each case sets.
  const child = spawn(command!, args, {
    env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', GOOGLE_CLOUD_PROJECT: 'demo-eventloom', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { output: () => output, exited, stop: () => child.kill() };
}

describe('a projector function starting', () => {
  it('refuses to start with PUSH_AUTH=off outside the emulators', async () => {
    const projector = startProjector({ PUSH_AUTH: 'off', NODE_ENV: 'production' });
    expect(await projector.exited).not.toBe(0);
    expect(projector.output()).toContain('PUSH_AUTH=off is refused outside the emulators');
  });

  it('starts with the emulators, where pushes carry no token, and logs once that push authentication is off', async () => {
    const projector = startProjector({ PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' });
    try {
      await expect.poll(() => projector.output(), { timeout: 20_000, interval: 100 }).toContain('push authentication is off');
      const lines = projector
        .output()
        .split('\n')
        .filter((line) => line.includes('push authentication is off'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        severity: 'WARNING',
        component: 'push-authentication',
        pushAuth: 'off',
        why: 'the Pub/Sub emulator pushes without tokens',
      });
    } finally {
      projector.stop();
      await projector.exited;
    }
  });
});
