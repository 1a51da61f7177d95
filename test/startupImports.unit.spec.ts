/**
 * What a new API instance loads before it listens (src/startApi.ts): the schema and the HTTP server, not the
 * Google Cloud clients, gRPC, firebase-admin, Cloud KMS, the OpenTelemetry SDK or WebSocket support, which
 * load afterwards or on first use (apiAdapters.ts, deferredDeps.ts). `npm run bench -- --only=cold-start`
 * measures what this buys; this keeps a static import from quietly putting them back on the start-up path.
 *
 * A child process imports startApi.ts (as main.ts does, without starting it) and lists the CommonJS modules it
 * loaded, which is how all of these packages load. `npm start` runs the bundle of scripts/apiBundle.ts instead,
 * where a static import means the same: esbuild's account of a fresh bundle shows what main.js loads before its
 * first dynamic import().
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleApi, EXTERNAL } from '../scripts/apiBundle.ts';

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

/** What the bundle's main.js loads when it starts: its own code and the packages it imports, before any import(). */
function loadedByBundleEntry(metafile: Metafile): { inlined: string[]; external: string[] } {
  const entry = Object.keys(metafile.outputs).find((path) => metafile.outputs[path]!.entryPoint === 'src/main.ts')!;
  const inlined: string[] = [];
  const external: string[] = [];
  const seen = new Set([entry]);
  const pending = [entry];
  for (let output = pending.pop(); output !== undefined; output = pending.pop()) {
    inlined.push(...Object.keys(metafile.outputs[output]!.inputs));
    for (const { path, kind, external: isExternal } of metafile.outputs[output]!.imports) {
      if (kind === 'dynamic-import') continue;
      if (isExternal) external.push(path);
      else if (!seen.has(path)) {
        seen.add(path);
        pending.push(path);
      }
    }
  }
  return { inlined, external };
}

/** A package name as an installed path would show it, for DEFERRED. */
const asInstalled = (specifier: string) => `node_modules/${specifier}/`;

describe('the bundle `npm start` runs (scripts/apiBundle.ts)', () => {
  it('loads the schema and the server when it starts, and none of what loads after or on first use', { timeout: 180_000 }, async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'eventloom-api-bundle-'));
    try {
      const metafile = await bundleApi(outdir);
      const { inlined, external } = loadedByBundleEntry(metafile);
      // The walk sees what main.js does load: one that saw nothing would pass.
      expect(inlined).toContain('src/startApi.ts');
      expect(inlined.some((path) => path.includes('node_modules/graphql/'))).toBe(true);
      expect(inlined.some((path) => path.includes('node_modules/pino/'))).toBe(true);
      expect(inlined.filter((path) => DEFERRED.test(path))).toEqual([]);
      expect(external.filter((specifier) => DEFERRED.test(asInstalled(specifier)))).toEqual([]);

      // The packages left out of the bundle are imported from node_modules by the chunks that load later (the
      // Google Cloud clients by the adapters' chunk), never copied into the bundle.
      const everyInput = Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs));
      const everyExternal = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external));
      expect(everyExternal.map((i) => i.path)).toContain('@google-cloud/firestore');
      const leftOut = EXTERNAL.map((pattern) => new RegExp(`node_modules/${pattern.replace('*', '[^/]+')}/`));
      expect(everyInput.filter((path) => leftOut.some((pattern) => pattern.test(path)))).toEqual([]);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
