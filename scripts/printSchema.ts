/**
 * Prints the published contracts: the Pothos schema as SDL (sorted) to schema/schema.graphql, and each
 * integration event's JSON Schema to schema/integration-events/<type>.json. With --check, fails instead
 * when a checked-in file is stale, so a contract change is always a reviewed diff.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/graphql/schema/index.ts';
import { integrationEventJsonSchemas } from '../src/integration/integrationEvents.ts';

const root = new URL('../schema/', import.meta.url);
const files = new Map<string, string>([['schema.graphql', `${printSchema(lexicographicSortSchema(schema))}\n`]]);
for (const [type, jsonSchema] of Object.entries(integrationEventJsonSchemas())) {
  files.set(`integration-events/${type}.json`, `${JSON.stringify(jsonSchema, null, 2)}\n`);
}

if (process.argv.includes('--check')) {
  const stale: string[] = [];
  for (const [name, printed] of files) {
    const current = await readFile(new URL(name, root), 'utf8').catch(() => '');
    if (current !== printed) stale.push(`schema/${name}`);
  }
  if (stale.length > 0) {
    console.error(`Stale: ${stale.join(', ')}. Run \`npm run schema:print\` and commit the result.`);
    process.exit(1);
  }
  console.log(`schema/ is up to date (${files.size} files).`);
} else {
  await mkdir(new URL('integration-events/', root), { recursive: true });
  for (const [name, printed] of files) await writeFile(new URL(name, root), printed);
  console.log(`wrote ${[...files.keys()].map((name) => `schema/${name}`).join(', ')}`);
}
