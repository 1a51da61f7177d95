/**
 * Every GraphQL example in the README and docs/ (fenced ```graphql blocks and the queries inside the curl
 * examples) is valid against the schema the API serves, so a schema change that breaks one fails here; and
 * every relative link between them points at a file and heading that exist. The quickstart itself runs
 * against a real API in quickstart.e2e.spec.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { buildSchema, type GraphQLError, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { curlQueries, documentationFiles, fencedBlocks, headingAnchors, readDoc, relativeLinks } from './support/docExamples.ts';

// The schema as printed from the Pothos schema: `npm test` runs `schema:check` (built schema = this file) before
// vitest. Validating against the Pothos object itself would need its own copy of graphql-js, which a worktree
// whose node_modules is a symlink resolves as a second one ("Cannot use GraphQLSchema from another realm").
const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));
const files = documentationFiles();
const examples = files.flatMap((file) => {
  const markdown = readDoc(file);
  return [...fencedBlocks(file, markdown, 'graphql'), ...curlQueries(file, markdown)];
});

function problems(text: string): string[] {
  try {
    return validate(schema, parse(text)).map((error: GraphQLError) => error.message);
  } catch (error) {
    return [(error as GraphQLError).message];
  }
}

describe('the GraphQL examples in the README and docs/', () => {
  it('are found: the README has its first order and its GraphiQL examples', () => {
    const inReadme = examples.filter((example) => example.where.startsWith('README.md:'));
    expect(inReadme.map((example) => example.text)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('subscription {'),
        expect.stringContaining('mutation PlaceOrder($input: PlaceOrderInput!)'),
        expect.stringContaining('query Order('),
      ]),
    );
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });

  it.each(examples.map((example) => [example.where, example.text]))('%s is valid against the schema', (_where, text) => {
    expect(problems(text)).toEqual([]);
  });

  it('would catch a broken one', () => {
    expect(problems('subscription { customerOrders(customerId: "c") { orders { orderId } } }')).toEqual([
      expect.stringContaining('Cannot query field "orderId" on type "CustomerOrderConnection"'),
    ]);
  });
});

describe('the links between the README and docs/', () => {
  it.each(files)('%s links only to files and headings that exist', (file) => {
    const broken = relativeLinks(file, readDoc(file)).flatMap(({ where, path, anchor }) => {
      const target = path ? normalize(join(dirname(file), path)) : file;
      if (!existsSync(target)) return [`${where}: ${path} does not exist`];
      if (anchor && target.endsWith('.md') && !headingAnchors(readDoc(target)).has(anchor))
        return [`${where}: ${target} has no #${anchor}`];
      return [];
    });
    expect(broken).toEqual([]);
  });
});
