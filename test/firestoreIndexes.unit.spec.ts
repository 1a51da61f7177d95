/**
 * A guard on firestore.indexes.json: no store-wide index over the events' growing timestamps. Production
 * Firestore takes about 500 writes/s into an index range on a monotonically increasing field, and every append
 * of the whole system writes into a COLLECTION_GROUP index on `recordedAt` or `occurredAt` unless an equality
 * field (the partition, a customer id) leads it and splits it into ranges of their own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface IndexField {
  readonly fieldPath: string;
  readonly order?: string;
  readonly arrayConfig?: string;
}
interface IndexFile {
  readonly indexes: ReadonlyArray<{ collectionGroup: string; queryScope: string; fields: IndexField[] }>;
  readonly fieldOverrides: ReadonlyArray<{ collectionGroup: string; fieldPath: string; indexes: Array<{ queryScope: string }> }>;
}

const GROWING = new Set(['recordedAt', 'occurredAt']);
/** Fields that cannot split a growing range: the growing ones and the document name. */
const NOT_AN_EQUALITY_PREFIX = new Set([...GROWING, '__name__']);

/** Every place in the file where the whole store's appends would meet in one growing range. */
function storeWideGrowingIndexes(file: IndexFile): string[] {
  const problems: string[] = [];
  for (const index of file.indexes) {
    if (index.collectionGroup !== 'events' || index.queryScope !== 'COLLECTION_GROUP') continue;
    const growingAt = index.fields.findIndex((field) => GROWING.has(field.fieldPath));
    if (growingAt === -1) continue;
    const prefix = index.fields.slice(0, growingAt);
    if (!prefix.some((field) => !NOT_AN_EQUALITY_PREFIX.has(field.fieldPath))) {
      problems.push(`index (${index.fields.map((f) => f.fieldPath).join(', ')})`);
    }
  }
  for (const override of file.fieldOverrides) {
    if (override.collectionGroup !== 'events' || !GROWING.has(override.fieldPath)) continue;
    if (override.indexes.some((index) => index.queryScope === 'COLLECTION_GROUP')) {
      problems.push(`single-field COLLECTION_GROUP index on ${override.fieldPath}`);
    }
  }
  return problems;
}

const indexFile = JSON.parse(readFileSync(new URL('../firestore.indexes.json', import.meta.url), 'utf8')) as IndexFile;

describe('firestore.indexes.json', () => {
  it('has no COLLECTION_GROUP index on events that orders by recordedAt or occurredAt without a leading equality field', () => {
    expect(storeWideGrowingIndexes(indexFile)).toEqual([]);
  });

  it('would catch the layout it replaced: single-field collection-group indexes and a composite led by the timestamp', () => {
    const old: IndexFile = {
      indexes: [
        {
          collectionGroup: 'events',
          queryScope: 'COLLECTION_GROUP',
          fields: [
            { fieldPath: 'recordedAt', order: 'ASCENDING' },
            { fieldPath: 'partition', order: 'ASCENDING' },
          ],
        },
      ],
      fieldOverrides: [
        { collectionGroup: 'events', fieldPath: 'recordedAt', indexes: [{ queryScope: 'COLLECTION' }, { queryScope: 'COLLECTION_GROUP' }] },
        { collectionGroup: 'events', fieldPath: 'occurredAt', indexes: [{ queryScope: 'COLLECTION_GROUP' }] },
      ],
    };
    expect(storeWideGrowingIndexes(old)).toEqual([
      'index (recordedAt, partition)',
      'single-field COLLECTION_GROUP index on recordedAt',
      'single-field COLLECTION_GROUP index on occurredAt',
    ]);
  });

  it('has the partition-led indexes the store-wide readers query (commit order, newest event)', () => {
    const eventsGroupIndexes = indexFile.indexes
      .filter((index) => index.collectionGroup === 'events' && index.queryScope === 'COLLECTION_GROUP')
      .map((index) => index.fields.map((field) => `${field.fieldPath} ${field.order}`));
    expect(eventsGroupIndexes).toContainEqual(['partition ASCENDING', 'recordedAt ASCENDING', '__name__ ASCENDING']);
    expect(eventsGroupIndexes).toContainEqual(['partition ASCENDING', 'occurredAt DESCENDING', '__name__ DESCENDING']);
  });

  it('keeps the per-stream recordedAt index that time travel over one stream uses', () => {
    const recordedAt = indexFile.fieldOverrides.find((o) => o.collectionGroup === 'events' && o.fieldPath === 'recordedAt');
    expect(recordedAt?.indexes).toEqual([{ order: 'ASCENDING', queryScope: 'COLLECTION' }]);
  });
});
