/**
 * A guard on firestore.indexes.json: no index range that every write of a busy collection grows. Production
 * Firestore takes about 500 writes/s into an index range on a monotonically increasing field (a timestamp), so:
 * every composite index, whatever its collection, puts an equality field (a partition, a customer id) before
 * any growing field, which splits it into ranges of their own; no single-field COLLECTION_GROUP index sits on
 * a growing field; and the collections written at the rate of the whole system's events exempt the growing
 * fields they store from Firestore's automatic single-field indexes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkpointOf } from '../src/firestore/firestoreProjector.ts';
import { StreamPartitions } from '../src/firestore/partitions.ts';
import { contributionDocument, shardDocument } from '../src/firestore/viewRollUp.ts';
import { emptySalesFigures } from '../src/projections/salesDashboard.ts';
import { projectors } from '../functions/index.ts';
import type { DomainEvent } from '../src/core/eventStore.ts';
import type { Projection } from '../src/core/projection.ts';
import { VIEW_PARTITION_FIELD } from '../src/firestore/readModelLayout.ts';
import { envelope, project } from './support/envelopes.ts';
import { customerRegistered, line, orderPaymentConfirmed, orderPlaced, productAdded, stockReserved } from './support/shopFixtures.ts';

interface IndexField {
  readonly fieldPath: string;
  readonly order?: string;
  readonly arrayConfig?: string;
}
interface IndexFile {
  readonly indexes: ReadonlyArray<{ collectionGroup: string; queryScope: string; fields: IndexField[] }>;
  readonly fieldOverrides: ReadonlyArray<{ collectionGroup: string; fieldPath: string; indexes: Array<{ queryScope: string }> }>;
}

/** Fields whose values grow with time, wherever they are stored. */
const GROWING = new Set([
  'recordedAt',
  'occurredAt',
  'createdAt',
  'updatedAt',
  'expireAt',
  'expiresAt',
  'dueAt',
  'takenAt',
  'placedAt',
  'rolledAt',
]);
/**
 * Equality fields that split a growing range into ranges each taking a small part of the writes: the stream
 * partition (16 ranges), a view's partition (16 ranges, src/firestore/readModelLayout.ts) and a customer's id
 * (one customer's events). A field with a few hot values (an event
 * `type`, a `status`) does not: each of its ranges takes every write of its value.
 */
const SPREADING = new Set(['partition', VIEW_PARTITION_FIELD, 'data.customerId']);

/**
 * Collections written at the rate of the system's events or commands, and the growing fields their documents
 * hold. Events live in one collection per stream, so a COLLECTION-scoped index on their `recordedAt` (time
 * travel over one stream) takes one stream's writes only; everything else here must not be indexed alone.
 */
const HOT_COLLECTIONS: Readonly<Record<string, { fields: readonly string[]; collectionScopeAllowed?: readonly string[] }>> = {
  events: { fields: ['recordedAt', 'occurredAt'], collectionScopeAllowed: ['recordedAt'] },
  // Written with every event a projection applies; its fields are checked against what the projector writes below.
  checkpoints: { fields: ['occurredAt', 'updatedAt'] },
  // Written by every command that carries an idempotency key.
  idempotencyKeys: { fields: ['createdAt', 'expireAt', 'expiresAt'] },
  // Written every 50 events of a stream.
  snapshots: { fields: ['takenAt'] },
  // Written with every order (its payment deadline).
  deadlines: { fields: ['dueAt'] },
  // Written with every event a rolled-up view reads (its contribution): `part` is the view's own fields, whose
  // growing ones (the sales figures' `updatedAt`) an exemption of the map covers.
  viewParts: { fields: ['part', 'rolledAt'] },
  // Every read model's views: written with every event a projection applies, a new document with every order
  // (its details, its payment deadline); `orders` is a customer's order history, a map of growing fields.
  views: { fields: ['updatedAt', 'placedAt', 'dueAt', 'orders'] },
};

/** Every place in the file where the writes of a whole collection (group) would meet in one growing range. */
function growingIndexRanges(file: IndexFile): string[] {
  const problems: string[] = [];
  for (const index of file.indexes) {
    const growingAt = index.fields.findIndex((field) => GROWING.has(field.fieldPath));
    if (growingAt === -1) continue;
    const prefix = index.fields.slice(0, growingAt);
    if (!prefix.some((field) => SPREADING.has(field.fieldPath))) {
      problems.push(`${index.collectionGroup} index (${index.fields.map((f) => f.fieldPath).join(', ')})`);
    }
  }
  for (const override of file.fieldOverrides) {
    if (!GROWING.has(override.fieldPath)) continue;
    if (override.indexes.some((index) => index.queryScope === 'COLLECTION_GROUP')) {
      problems.push(`single-field COLLECTION_GROUP index on ${override.collectionGroup}.${override.fieldPath}`);
    }
  }
  for (const [collectionGroup, { fields, collectionScopeAllowed = [] }] of Object.entries(HOT_COLLECTIONS)) {
    for (const fieldPath of fields) {
      const override = file.fieldOverrides.find((o) => o.collectionGroup === collectionGroup && o.fieldPath === fieldPath);
      const allowed = collectionScopeAllowed.includes(fieldPath) ? ['COLLECTION'] : [];
      if (!override || override.indexes.some((index) => !allowed.includes(index.queryScope))) {
        problems.push(`automatic single-field index on ${collectionGroup}.${fieldPath}`);
      }
    }
  }
  return problems;
}

const indexFile = JSON.parse(readFileSync(new URL('../firestore.indexes.json', import.meta.url), 'utf8')) as IndexFile;

describe('firestore.indexes.json', () => {
  it('has no index, composite or single-field, of any collection whose writes all meet in one growing range', () => {
    expect(growingIndexRanges(indexFile)).toEqual([]);
  });

  it('knows every growing field a checkpoint holds (the projector writes one with every event it applies)', () => {
    const checkpoint = checkpointOf(envelope('order-o1', 1, { type: 'OrderPaid', data: {} }), new Date(), StreamPartitions.DEFAULT);
    const growing = Object.keys(checkpoint).filter((field) => GROWING.has(field));
    expect(growing.sort()).toEqual([...HOT_COLLECTIONS.checkpoints!.fields].sort());
  });

  it('knows every field of a view part that holds a growing value (a contribution is written with every order event)', () => {
    const figures = emptySalesFigures(new Date().toISOString());
    const stored = { ...contributionDocument('summary~03', figures), ...shardDocument('summary~03', figures, new Date()) };
    const holdsGrowing = (field: string, value: unknown): boolean =>
      GROWING.has(field) || (typeof value === 'object' && value !== null && Object.entries(value).some(([k, v]) => holdsGrowing(k, v)));
    const growing = Object.entries(stored).filter(([field, value]) => holdsGrowing(field, value));
    expect(growing.map(([field]) => field).sort()).toEqual([...HOT_COLLECTIONS.viewParts!.fields].sort());
  });

  it('knows every field of a view that holds a growing value (views are written with every event applied)', () => {
    const orderId = 'o-1';
    const events = [
      envelope('product-sku-kettle', 1, productAdded('sku-kettle', 2500, 10, 'Kettle')),
      envelope('customer-c-1', 1, customerRegistered('c-1')),
      envelope(`order-${orderId}`, 1, orderPlaced(orderId, 'c-1', [line('sku-kettle', 1, 2500), line('sku-mug', 2, 900)])),
      envelope(`order-${orderId}`, 2, orderPaymentConfirmed(orderId, 'c-1', 4300)),
      envelope('product-sku-kettle', 2, stockReserved('sku-kettle', orderId, 1)),
      envelope(`payment-${orderId}`, 1, {
        type: 'PaymentDeadlineSet',
        data: { orderId, customerId: 'c-1', totalCents: 4300, placedAt: '2026-11-29T15:00:00.000Z', dueAt: '2026-11-29T15:15:00.000Z' },
      }),
    ];
    const holdsGrowing = (field: string, value: unknown): boolean =>
      GROWING.has(field) || (typeof value === 'object' && value !== null && Object.entries(value).some(([k, v]) => holdsGrowing(k, v)));
    const growing = new Set<string>();
    // The rolled-up sales dashboard keeps no views here, only view parts (above).
    for (const projection of Object.values(projectors).filter((p) => !p.sharded?.rolledUp)) {
      const views = Object.values(project(projection as Projection<unknown, DomainEvent>, events));
      expect(views.length, `${projection.name} projects none of the sample events`).toBeGreaterThan(0);
      for (const view of views)
        for (const [field, value] of Object.entries(view as object)) if (holdsGrowing(field, value)) growing.add(field);
    }
    expect([...growing].sort()).toEqual([...HOT_COLLECTIONS.views!.fields].sort());
  });

  it("orders the read models' live queries through indexes led by the view's partition", () => {
    const viewIndexes = indexFile.indexes
      .filter((index) => index.collectionGroup === 'views')
      .map((index) => index.fields.map((field) => `${field.fieldPath} ${field.order}`));
    expect(viewIndexes).toEqual([
      // recentOrders: the newest orders (src/graphql/schema/liveFeed.ts).
      [`${VIEW_PARTITION_FIELD} ASCENDING`, 'placedAt DESCENDING', '__name__ DESCENDING'],
      // ordersAwaitingPayment: the soonest deadlines (src/graphql/schema/paymentDeadlines.ts).
      [`${VIEW_PARTITION_FIELD} ASCENDING`, 'state ASCENDING', 'dueAt ASCENDING', '__name__ ASCENDING'],
    ]);
  });

  it('would catch the layouts it replaced: timestamp-led composites, collection-group single-field indexes, automatic ones', () => {
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
        {
          collectionGroup: 'events',
          queryScope: 'COLLECTION_GROUP',
          fields: [
            { fieldPath: 'type', order: 'ASCENDING' },
            { fieldPath: 'occurredAt', order: 'ASCENDING' },
          ],
        },
        {
          collectionGroup: 'deadlines',
          queryScope: 'COLLECTION',
          fields: [{ fieldPath: 'dueAt', order: 'ASCENDING' }, { fieldPath: '__name__' }],
        },
      ],
      fieldOverrides: [
        { collectionGroup: 'events', fieldPath: 'recordedAt', indexes: [{ queryScope: 'COLLECTION' }, { queryScope: 'COLLECTION_GROUP' }] },
        { collectionGroup: 'events', fieldPath: 'occurredAt', indexes: [{ queryScope: 'COLLECTION_GROUP' }] },
        { collectionGroup: 'checkpoints', fieldPath: 'occurredAt', indexes: [{ queryScope: 'COLLECTION' }] },
        { collectionGroup: 'idempotencyKeys', fieldPath: 'expireAt', indexes: [] },
        { collectionGroup: 'idempotencyKeys', fieldPath: 'expiresAt', indexes: [] },
        { collectionGroup: 'snapshots', fieldPath: 'takenAt', indexes: [] },
        { collectionGroup: 'deadlines', fieldPath: 'dueAt', indexes: [] },
        // Not there then (no view parts): as now, so that only the layouts it replaced are reported.
        { collectionGroup: 'viewParts', fieldPath: 'part', indexes: [] },
        { collectionGroup: 'viewParts', fieldPath: 'rolledAt', indexes: [] },
        // Nor views, whose collections were named after each target.
        ...HOT_COLLECTIONS.views!.fields.map((fieldPath) => ({ collectionGroup: 'views', fieldPath, indexes: [] })),
      ],
    };
    expect(growingIndexRanges(old)).toEqual([
      'events index (recordedAt, partition)',
      // `type` is an equality field, but one with a handful of values that every order writes: not a spreading one.
      'events index (type, occurredAt)',
      'deadlines index (dueAt, __name__)',
      'single-field COLLECTION_GROUP index on events.recordedAt',
      'single-field COLLECTION_GROUP index on events.occurredAt',
      'automatic single-field index on events.recordedAt',
      'automatic single-field index on events.occurredAt',
      'automatic single-field index on checkpoints.occurredAt',
      'automatic single-field index on checkpoints.updatedAt',
      'automatic single-field index on idempotencyKeys.createdAt',
    ]);
  });

  it('has the partition-led indexes the store-wide readers query (commit order, newest event, stalls, newest applied)', () => {
    const indexesOf = (collectionGroup: string, queryScope: string) =>
      indexFile.indexes
        .filter((index) => index.collectionGroup === collectionGroup && index.queryScope === queryScope)
        .map((index) => index.fields.map((field) => `${field.fieldPath} ${field.order}`));
    const eventsGroupIndexes = indexesOf('events', 'COLLECTION_GROUP');
    expect(eventsGroupIndexes).toContainEqual(['partition ASCENDING', 'recordedAt ASCENDING', '__name__ ASCENDING']);
    expect(eventsGroupIndexes).toContainEqual(['partition ASCENDING', 'occurredAt DESCENDING', '__name__ DESCENDING']);
    // Projection health: the oldest event of a read model's types after the newest it applied, per partition.
    expect(eventsGroupIndexes).toContainEqual(['partition ASCENDING', 'type ASCENDING', 'occurredAt ASCENDING', '__name__ ASCENDING']);
    // Projection status: the newest checkpoint, per partition.
    expect(indexesOf('checkpoints', 'COLLECTION')).toContainEqual(['partition ASCENDING', 'occurredAt DESCENDING', '__name__ DESCENDING']);
  });

  it('keeps the per-stream recordedAt index that time travel over one stream uses', () => {
    const recordedAt = indexFile.fieldOverrides.find((o) => o.collectionGroup === 'events' && o.fieldPath === 'recordedAt');
    expect(recordedAt?.indexes).toEqual([{ order: 'ASCENDING', queryScope: 'COLLECTION' }]);
  });
});
