/**
 * The API as `npm start` runs it (Cloud Run): src/main.ts and what it loads before listening, bundled by esbuild
 * into one ES module, dist/api/main.js, with what loads later split off into chunks beside it.
 *
 * Why: a new instance spent most of its first second resolving, reading, compiling and linking the ~700 ES
 * modules and ~270 CommonJS files of dist/src, graphql, graphql-yoga, @whatwg-node, Pothos, pino and zod one by
 * one, more than running them (bench part (s)). The bundle is a handful of files.
 *
 * What stays lazy stays lazy: every dynamic `import()` of ours (the adapters, telemetry, WebSocket support, the
 * operator port) becomes a chunk of its own that loads when the import runs, and the packages only those load
 * are left out of the bundle (EXTERNAL below) and load from node_modules as before (so the bundle must sit beside
 * node_modules, as dist/api does). test/startupImports.unit.spec.ts checks that none of them is reachable from
 * main.js by a static import; test/apiShutdown.e2e.spec.ts runs the bundle.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { PROJECT_ROOT } from './projectRoot.ts';

/** Where `npm run build` writes the bundle; `npm start` runs its main.js. */
export const API_BUNDLE_DIR = join(PROJECT_ROOT, 'dist', 'api');

/**
 * Packages that only modules loaded after the port is open import: the Google Cloud clients with gRPC and their
 * protobuf files (read from their package directories at run time), firebase-admin, the OpenTelemetry SDK and
 * exporters, ws and jose. Nothing is gained by bundling them, and they keep their own files and copies of their
 * dependencies, as they were tested.
 *
 * Not here, on purpose: @opentelemetry/api (the start-up path uses it; its copies share one global registry by
 * design, so the SDK's own copy finds what the bundle's registered) and graphql-ws, which checks the errors it
 * is given with `instanceof GraphQLError` against the `graphql` it imports, so it must share the bundle's.
 */
export const EXTERNAL = [
  '@google-cloud/*',
  'google-gax',
  'google-auth-library',
  '@grpc/*',
  'firebase-admin',
  'firebase-admin/*',
  '@opentelemetry/core',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/exporter-*',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-*',
  'jose',
  'ws',
  // Only when a browser asks for GraphiQL (development): a few megabytes of strings.
  '@graphql-yoga/render-graphiql',
];

export function apiBundleOptions(outdir: string): BuildOptions & { metafile: true } {
  return {
    absWorkingDir: PROJECT_ROOT,
    entryPoints: ['src/main.ts'],
    outdir,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    // Chunks: a dynamic import() of our own modules loads its chunk only when it runs.
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: EXTERNAL,
    // Bundled CommonJS (pino, graphql's CommonJS build, …) calls require(), which an ES module lacks. (pino's
    // worker-thread transports would need files beside the bundle: src/logger.ts uses none.)
    banner: {
      js: "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);",
    },
    // Stack traces map back to src/*.ts with `node --enable-source-maps` (package.json's start; about 0.25 s of CPU
    // per start, docs/architecture.md). They need the positions only, not the sources: smaller maps, read faster.
    sourcemap: 'linked',
    sourcesContent: false,
    // Readable frames and no surprises in `.name` (error classes, Pothos): not minified.
    minify: false,
    metafile: true,
    logLevel: 'warning',
  };
}

/** Writes the bundle into `outdir` (emptied first) and returns esbuild's account of what went where. */
export async function bundleApi(outdir: string = API_BUNDLE_DIR): Promise<Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const { metafile } = await build(apiBundleOptions(outdir));
  return metafile;
}

/**
 * Node's arguments as `npm start` (Cloud Run's start command) passes them, from package.json's start script
 * (`node <flags> dist/api/main.js`), the entry last; with `entry`, that file in its place (a bundle built elsewhere).
 */
export function startArgs(entry?: string): string[] {
  const { scripts } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = scripts.start.trim().split(/\s+/);
  if (command !== 'node' || args.length === 0) throw new Error(`package.json's start script is not \`node … <entry>\`: ${scripts.start}`);
  return entry === undefined ? args : [...args.slice(0, -1), entry];
}
