/**
 * What a new API instance loads before it listens (src/startApi.ts): the schema and the HTTP server, not the
 * Google Cloud clients, gRPC, firebase-admin, Cloud KMS, the OpenTelemetry SDK or WebSocket support, which
 * load afterwards or on first use (apiAdapters.ts, deferredDeps.ts). `npm run bench -- --only=cold-start`
 * measures what this buys; this keeps a static import from quietly putting them back on the start-up path.
 *
 * A child process imports startApi.ts (as main.ts does, without starting it) and lists the CommonJS modules it
 * loaded, which is how all of these packages load.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Packages that must not load before the port is open. */
const DEFERRED =
  /node_modules\/(@google-cloud\/|google-gax|google-auth-library|@grpc\/|firebase-admin|jose|ws\/|graphql-ws|@opentelemetry\/(sdk-|exporter-|resources|context-async-hooks))/;

const LIST_LOADED = `
import { createRequire } from 'node:module';
await import('./src/startApi.ts');
process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
`;

async function modulesLoadedByStartApi(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', LIST_LOADED], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return (JSON.parse(stdout) as string[]).map((path) => path.split('\\').join('/'));
}

describe('a new API instance, before it listens', () => {
  it('has loaded the schema and the server, but none of what loads after or on first use', { timeout: 180_000 }, async () => {
    const loaded = await modulesLoadedByStartApi();
    // The listing sees the packages startApi does load: a scan that saw nothing would pass.
    expect(loaded.some((path) => path.includes('node_modules/graphql/'))).toBe(true);
    expect(loaded.some((path) => path.includes('node_modules/pino/'))).toBe(true);
    expect(loaded.filter((path) => DEFERRED.test(path))).toEqual([]);
  });
});
