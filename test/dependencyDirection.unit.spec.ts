/**
 * The dependency direction docs/architecture.md describes, checked on every import of src/ and functions/:
 * `src/core` ← domain modules and projections ← adapters ← composition roots. The core imports neither
 * GCP nor GraphQL; the GraphQL layer reaches storage only through the core's ports; `functions/` never
 * imports the GraphQL layer. A static scan of import specifiers: type-only imports count too, since a
 * type from an adapter ties the importer to that adapter all the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type Layer = 'core' | 'domain' | 'live' | 'adapter' | 'graphql' | 'plumbing' | 'root';

/** Every file of src/ and functions/ sits in one layer, by the first prefix of its path that matches. */
const LAYERS: ReadonlyArray<readonly [prefix: string, layer: Layer]> = [
  ['src/core/', 'core'],
  ['src/catalog/', 'domain'],
  ['src/customers/', 'domain'],
  ['src/orders/', 'domain'],
  ['src/projections/', 'domain'],
  ['src/integration/', 'domain'],
  ['src/fulfilment/', 'domain'],
  ['src/shopEvents.ts', 'domain'],
  // Live-query machinery (shared listeners, bounded queues): what read-side adapters build live streams with.
  ['src/live/', 'live'],
  ['src/graphql/', 'graphql'],
  ['src/firestore/', 'adapter'],
  ['src/pubsub/', 'adapter'],
  ['src/outbox/', 'adapter'],
  ['src/auth/', 'adapter'],
  // Crypto-shredding's adapters: the data keys in Firestore, Cloud KMS, the erasure of a customer.
  ['src/privacy/', 'adapter'],
  ['src/config.ts', 'plumbing'],
  ['src/apiLimits.ts', 'plumbing'],
  ['src/logger.ts', 'plumbing'],
  ['src/telemetry/', 'plumbing'],
  ['src/apiDeps.ts', 'root'],
  ['src/apiHealth.ts', 'root'],
  ['src/apiAdapters.ts', 'root'],
  ['src/startApi.ts', 'root'],
  ['src/main.ts', 'root'],
  ['functions/', 'root'],
];

const GCP = /^(@google-cloud\/|@firebase\/|firebase-admin|firebase-functions|google-auth-library|google-gax)/;
const GRAPHQL = /^(graphql|graphql-[\w-]+|@graphql-[\w-]+\/|@pothos\/|@envelop\/|@escape\.tech\/|dataloader)(\/|$)/;

/** One import: the importing file, and what it names (a repository path, or a package). */
interface Import {
  readonly file: string;
  readonly target: string;
}

function layerOf(path: string): Layer | undefined {
  return LAYERS.find(([prefix]) => path === prefix || path.startsWith(prefix))?.[1];
}

const isInternal = (target: string) => target.startsWith('src/') || target.startsWith('functions/');

/** A rule: which imports break it, and one that would, to show the rule can fail. */
interface Rule {
  readonly says: string;
  readonly breaks: (edge: Import) => boolean;
  readonly breach: Import;
}

function inLayers(path: string, layers: readonly Layer[]): boolean {
  const layer = layerOf(path);
  return layer !== undefined && layers.includes(layer);
}

const from =
  (...layers: Layer[]) =>
  (edge: Import) =>
    inLayers(edge.file, layers);
const to =
  (...layers: Layer[]) =>
  (edge: Import) =>
    isInternal(edge.target) && inLayers(edge.target, layers);
const toPackage =
  (...packages: RegExp[]) =>
  (edge: Import) =>
    !isInternal(edge.target) && packages.some((p) => p.test(edge.target));

const RULES: readonly Rule[] = [
  {
    says: 'src/core imports nothing of the codebase outside src/core',
    breaks: (edge) => from('core')(edge) && isInternal(edge.target) && layerOf(edge.target) !== 'core',
    breach: { file: 'src/core/eventStore.ts', target: 'src/orders/orderEvents.ts' },
  },
  {
    says: 'domain modules and projections import only the core and each other',
    breaks: (edge) => from('domain')(edge) && to('live', 'adapter', 'graphql', 'plumbing', 'root')(edge),
    breach: { file: 'src/projections/orderDetails.ts', target: 'src/firestore/firestoreProjector.ts' },
  },
  {
    says: 'src/live imports only the core and itself',
    breaks: (edge) => from('live')(edge) && to('domain', 'adapter', 'graphql', 'plumbing', 'root')(edge),
    breach: { file: 'src/live/liveStreams.ts', target: 'src/firestore/firestoreReadModels.ts' },
  },
  {
    says: 'the core, the domain and src/live import neither GCP nor GraphQL packages',
    breaks: (edge) => from('core', 'domain', 'live')(edge) && toPackage(GCP, GRAPHQL)(edge),
    breach: { file: 'src/core/readModels.ts', target: '@google-cloud/firestore' },
  },
  {
    says: 'src/graphql imports no GCP package: it reaches storage through the ports in src/core',
    breaks: (edge) => from('graphql')(edge) && toPackage(GCP)(edge),
    breach: { file: 'src/graphql/operationsDeps.ts', target: '@google-cloud/pubsub' },
  },
  {
    says: 'src/graphql imports nothing from src/firestore/, src/pubsub/ or src/outbox/',
    breaks: (edge) => from('graphql')(edge) && /^src\/(firestore|pubsub|outbox)\//.test(edge.target),
    breach: { file: 'src/graphql/viewLoaders.ts', target: 'src/firestore/firestoreProjector.ts' },
  },
  {
    says: 'only composition roots import the GraphQL layer',
    breaks: (edge) => !from('graphql', 'root')(edge) && to('graphql')(edge),
    breach: { file: 'src/firestore/firestoreReadModels.ts', target: 'src/graphql/context.ts' },
  },
  {
    says: 'functions/ never imports the GraphQL layer',
    breaks: (edge) => edge.file.startsWith('functions/') && to('graphql')(edge),
    breach: { file: 'functions/runtime.ts', target: 'src/graphql/createApi.ts' },
  },
  {
    says: 'nothing but a composition root imports one',
    breaks: (edge) => !from('root')(edge) && to('root')(edge),
    breach: { file: 'src/graphql/createApi.ts', target: 'src/apiDeps.ts' },
  },
];

function violationsOf(imports: readonly Import[]): string[] {
  return RULES.flatMap((rule) => imports.filter(rule.breaks).map((edge) => `${rule.says}: ${edge.file} imports ${edge.target}`));
}

// --- The scan ----------------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(name))
    .map((name) => posix.join(dir, name.split('\\').join('/')));
}

/** `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`. */
const SPECIFIER =
  /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** What `file`, whose text is `text`, imports: relative specifiers resolved to repository paths. */
function importsIn(file: string, text: string): Import[] {
  return [...text.matchAll(SPECIFIER)].map((match) => {
    const specifier = (match[1] ?? match[2] ?? match[3])!;
    return { file, target: specifier.startsWith('.') ? posix.join(posix.dirname(file), specifier) : specifier };
  });
}

const files = [...sourceFiles('src'), ...sourceFiles('functions')];
const imports = files.flatMap((file) => importsIn(file, readFileSync(join(ROOT, file), 'utf8')));

describe('dependency direction', () => {
  it('places every file of src/ and functions/ in a layer', () => {
    expect(files.filter((file) => !layerOf(file))).toEqual([]);
  });

  it('reads every form of import', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type {\n  B,\n  C,\n} from '../core/b.ts';",
      "export { d } from '../../functions/d.ts';",
      "import 'side-effect';",
      "const e = await import('@google-cloud/e');",
      "const notAnImport = 'from here';",
    ].join('\n');
    expect(importsIn('src/graphql/x.ts', text).map((edge) => edge.target)).toEqual([
      'src/graphql/a.ts',
      'src/core/b.ts',
      'functions/d.ts',
      'side-effect',
      '@google-cloud/e',
    ]);
  });

  it('sees the imports there are', () => {
    // A scan that found nothing would pass every rule.
    expect(imports).toContainEqual({ file: 'src/graphql/context.ts', target: 'src/core/readModels.ts' });
    expect(imports).toContainEqual({ file: 'src/firestore/firestoreReadModels.ts', target: '@google-cloud/firestore' });
    // Every internal import names a file that exists, so none escapes the rules by a path they don't know.
    expect(imports.filter((edge) => isInternal(edge.target) && !files.includes(edge.target))).toEqual([]);
  });

  it('holds for every import', () => {
    expect(violationsOf(imports)).toEqual([]);
  });

  for (const rule of RULES) {
    it(`would catch a breach: ${rule.says}`, () => {
      expect(violationsOf([rule.breach])).toContain(`${rule.says}: ${rule.breach.file} imports ${rule.breach.target}`);
    });
  }
});
