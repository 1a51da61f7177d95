/**
 * The caches yoga keeps of parsed documents and of parse errors, keyed by the document's text, bounded in
 * bytes of text rather than in entries, and holding no long documents. Yoga's default (1,024 entries of any
 * size) let a stream of distinct 100 KB documents pin about 100 MB; and V8 hashes a string longer than 16 K
 * characters by its length alone, so in a Map, long documents of one length collide: every lookup then
 * compares every one of them in full (measured here: 18 ms per request at 1,024 such documents).
 *
 * Documents the clients really send are short (the dashboard's longest is about 200 characters); a longer
 * one is parsed every time, its cost bounded by the token limit (queryLimits.ts).
 */
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** The longest document text cached. */
export const MAX_CACHED_DOCUMENT_CHARS = 8 * 1024;
/** Text of all the cached documents together. */
const MAX_CACHED_CHARS = 4 * 1024 * 1024;

export function parseCaches() {
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
