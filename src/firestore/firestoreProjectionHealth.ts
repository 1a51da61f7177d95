/**
 * Read-model health from Firestore (src/core/projectionHealth.ts): the status the projector's checkpoints give
 * (projectionStatus), plus the oldest event of the read model's types stored after the newest one it applied.
 *
 * That query reads the `events` collection group by (partition, type, occurredAt), once per partition, merged:
 * one store-wide range by (type, occurredAt) would grow with every append of those types, past the about
 * 500 writes/s production Firestore takes into one (firestore.indexes.json). A limitation of checkpoints being per stream: an event held back on one stream while later events on
 * other streams are applied is not seen here; such an event ends up in the dead letters, which are counted.
 */
import type { Firestore } from '@google-cloud/firestore';
import { isStalled, PENDING_COUNT_CAP, type ProjectionHealth } from '../core/projectionHealth.ts';
import type { AnyProjection } from '../core/projection.ts';
import { EVENTS } from './firestoreEventStore.ts';
import { projectionStatuses } from './firestoreProjectionStatus.ts';
import { inFilterGroups } from './inFilter.ts';
import { streamPartitions } from './partitionLayout.ts';

export async function projectionHealth(
  db: Firestore,
  projections: readonly AnyProjection[],
  options: { readonly stallAfterSeconds: number; readonly now?: () => Date },
): Promise<ProjectionHealth[]> {
  const [statuses, layout] = await Promise.all([projectionStatuses(db, projections), streamPartitions(db)]);
  return Promise.all(
    projections.map(async (projection, i) => {
      const status = statuses[i]!;
      const after = status.lastAppliedEventAt ?? '';
      // A read model reading more types than an `in` filter takes is asked in groups.
      const groups = inFilterGroups(projection.eventTypes);
      // Nothing of its types is newer than what it applied (the healthy case): no event is pending, no query needed.
      const caughtUp = status.latestEventAt === null || (status.lastAppliedEventAt !== null && status.latestEventAt <= after);
      const pending = caughtUp
        ? []
        : await Promise.all(
            groups.flatMap((types) =>
              layout.all().map(async (partition) => {
                const query = db
                  .collectionGroup(EVENTS)
                  .where('partition', '==', partition)
                  .where('type', 'in', types)
                  .where('occurredAt', '>', after)
                  .orderBy('occurredAt');
                const oldest = (await query.limit(1).get()).docs[0]?.get('occurredAt') as string | undefined;
                // Counted only in partitions that have some.
                const count = oldest === undefined ? 0 : (await query.limit(PENDING_COUNT_CAP).count().get()).data().count;
                return { oldest: oldest ?? null, count };
              }),
            ),
          );
      const oldestPendingAt =
        pending
          .map((p) => p.oldest)
          .filter((at): at is string => at !== null)
          .sort()[0] ?? null;
      return {
        name: projection.name,
        lagSeconds: status.lagSeconds,
        pendingEvents: Math.min(
          PENDING_COUNT_CAP,
          pending.reduce((n, p) => n + p.count, 0),
        ),
        oldestPendingAt,
        stalled: isStalled(oldestPendingAt, options.now?.() ?? new Date(), options.stallAfterSeconds),
        rebuilding: status.rebuilding ? { target: status.rebuilding.target, processed: status.rebuilding.processed } : null,
      };
    }),
  );
}
