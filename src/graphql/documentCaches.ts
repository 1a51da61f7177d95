/**
 * What yoga remembers per document, kept small. A client that sends a stream of distinct documents must
 * not be able to fill the heap with them:
 *
 * - parsed documents and parse errors, keyed by the document's text: bounded in characters of text rather
 *   than in entries, and holding no long document. Yoga's default (1,024 entries of any size) let distinct
 *   100 KB documents pin about 100 MB; and V8 hashes a string longer than 16 K characters by its length
 *   alone, so in a Map, long documents of one length collide: every lookup then compares every one of them
 *   in full (measured here: 18 ms per request at 1,024 such documents). Documents the clients really send
 *   are short (the dashboard's longest is about 200 characters); a longer one is parsed every time, its cost
 *   bounded by the token limit (queryLimits.ts).
 * - validation results, which yoga keeps per parsed document: their errors are left holding only their
 *   message and stack text (`useLeanValidationErrors`).
 */
import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

/** The longest document text cached. */
export const MAX_CACHED_DOCUMENT_CHARS = 8 * 1024;
/**
 * Text of all the cached documents together. A syntax tree takes about 70 bytes per character of its text
 * (measured: 29 KiB for a 393-character query), so the parsed documents take about 9 MB at most.
 */
const MAX_CACHED_CHARS = 128 * 1024;

export function documentCaches() {
  return {
    documentCache: boundedCache<DocumentNode>(),
    errorCache: boundedCache<object>(),
  };
}

function boundedCache<V extends object>() {
  return new LRUCache<string, V>({
    max: 1_024,
    maxSize: MAX_CACHED_CHARS,
    // A longer document is not kept: no long keys in the map, nothing for a long one to collide with.
    maxEntrySize: MAX_CACHED_DOCUMENT_CHARS,
    sizeCalculation: (_value, key) => Math.max(1, key.length),
    // As yoga's own: a document not asked for in an hour goes.
    ttl: 60 * 60 * 1000,
  });
}

/**
 * V8 keeps, with every error, each frame of the stack that created it (functions and their receivers) until
 * its `stack` is first read. A validation error's frames are the validation's visitors, context and type
 * info: about 70 KB held by every invalid document yoga caches (measured: 400 distinct invalid documents,
 * 29 MB). Reading the stack once, before yoga caches the result, lets them go. Registered before yoga's
 * cache (as every plugin given to createYoga is), its hook runs first.
 */
export function useLeanValidationErrors(): Plugin {
  return {
    onValidate:
      () =>
      ({ result }) => {
        for (const error of result) void error.stack;
      },
  };
}
