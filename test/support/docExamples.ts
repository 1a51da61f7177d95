/**
 * The examples in the README and docs/, read out of the Markdown so tests can run them: every fenced
 * GraphQL block, the GraphQL inside each `gql "$TOKEN" '…'` call of the curl examples, every shell block,
 * and the relative links with their anchors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DocExample {
  /** `README.md:123` (the line the example starts on), for the failure message. */
  readonly where: string;
  readonly text: string;
}

/** README.md and every Markdown file in docs/, relative to the repository root. */
export function documentationFiles(root = '.'): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export function readDoc(file: string, root = '.'): string {
  return readFileSync(join(root, file), 'utf8');
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```$/gm;

/** The fenced blocks of one language (`graphql`, `sh`). */
export function fencedBlocks(file: string, markdown: string, language: string): DocExample[] {
  return [...markdown.matchAll(FENCE)]
    .filter((match) => match[1] === language)
    .map((match) => ({ where: `${file}:${lineOf(markdown, match.index) + 1}`, text: match[2]! }));
}

/** The query of every `gql "$TOKEN" '<query>' …` call inside the shell blocks. */
export function curlQueries(file: string, markdown: string): DocExample[] {
  return fencedBlocks(file, markdown, 'sh').flatMap((block) =>
    [...block.text.matchAll(/\bgql "\$\w+" '([^']*)'/g)].map((match) => ({
      where: `${file}:${Number(block.where.split(':')[1]) + lineOf(block.text, match.index) + 1}`,
      text: match[1]!,
    })),
  );
}

/** Relative links (`[text](path#anchor)`) outside code blocks; web links are not followed. */
export function relativeLinks(file: string, markdown: string): Array<{ where: string; path: string; anchor: string }> {
  const prose = withoutCode(markdown);
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .filter((match) => !/^[a-z]+:/.test(match[1]!))
    .map((match) => {
      const [path = '', anchor = ''] = match[1]!.split('#');
      return { where: `${file}:${lineOf(prose, match.index) + 1}`, path, anchor };
    });
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  return new Set(
    [...withoutCode(markdown).matchAll(/^#+ (.+)$/gm)].map((match) =>
      match[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\- _]/gu, '')
        .replaceAll(' ', '-'),
    ),
  );
}

/** Code blocks blanked out line for line, so line numbers still match. */
function withoutCode(markdown: string): string {
  return markdown.replace(FENCE, (block) => block.replace(/[^\n]/g, ' '));
}

function lineOf(text: string, index = 0): number {
  return text.slice(0, index).split('\n').length - 1;
}
