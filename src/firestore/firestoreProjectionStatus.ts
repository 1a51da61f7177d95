/**
 * Projection status from Firestore, computed from the checkpoints the projector writes anyway, so no
 * document is written on every event just to keep statistics.
 */
import type { Firestore, Query } from '@google-cloud/firestore';
import type { AnyProjection } from '../core/projection.ts';
import { lagSeconds, type ProjectionStatus } from '../core/projectionStatus.ts';
import { DEAD_LETTERS } from './firestoreDeadLetters.ts';
import { EVENTS } from './firestoreEventStore.ts';
import { activeTargetOf, PROJECTIONS, registryRef } from './firestoreProjector.ts';
import { checkpointsOf } from './readModelLayout.ts';
import { streamPartitions } from './partitionLayout.ts';

/**
 * The newest event's `occurredAt`: the newest of each partition, the newest of those. One store-wide
 * `orderBy('occurredAt', 'desc')` would need an index over every append of the system on a growing field
 * (about 500 writes/s in production); the index leads with `partition` instead (firestore.indexes.json),
 * so this costs one single-document query per partition, run in parallel.
 */
export async function latestEventAt(db: Firestore, eventTypes?: readonly string[]): Promise<string | null> {
  return newestOfPartitions(db, (partition) => {
    const query = db.collectionGroup(EVENTS).where('partition', '==', partition);
    // Of the types a projection reads only: a projector acknowledges other types without writing a checkpoint,
    // so an event it never reads must not count as one it is behind on.
    return eventTypes ? query.where('type', 'in', [...eventTypes]) : query;
  });
}

/**
 * The greatest `occurredAt` over the partitions, each asked for its newest (in parallel): the events', and the
 * checkpoints', whose store-wide order would be one index range every write of the system grows.
 */
async function newestOfPartitions(db: Firestore, inPartition: (partition: number) => Query): Promise<string | null> {
  const newestPerPartition = await Promise.all(
    (await streamPartitions(db)).all().map(async (partition) => {
      const newest = await inPartition(partition).orderBy('occurredAt', 'desc').limit(1).get();
      return newest.docs[0]?.get('occurredAt') as string | undefined;
    }),
  );
  // Compared as Firestore ordered them within each partition: as strings (commands stamp UTC ISO 8601).
  let newest: string | null = null;
  for (const candidate of newestPerPartition) {
    if (candidate !== undefined && (newest === null || candidate > newest)) newest = candidate;
  }
  return newest;
}

/** Every given projection's status, each against the newest stored event of the types it reads. */
export async function projectionStatuses(db: Firestore, projections: readonly AnyProjection[]): Promise<ProjectionStatus[]> {
  return Promise.all(projections.map((projection) => projectionStatus(db, projection)));
}

export async function projectionStatus(db: Firestore, projection: AnyProjection, newestEventAt?: string | null): Promise<ProjectionStatus> {
  const latest = newestEventAt === undefined ? await latestEventAt(db, projection.eventTypes) : newestEventAt;
  const activeTarget = activeTargetOf(await registryRef(db, projection).get(), projection);
  const checkpoints = checkpointsOf(db, activeTarget);
  const [streams, lastApplied, deadLetters, rebuilds] = await Promise.all([
    checkpoints.count().get(),
    newestOfPartitions(db, (partition) => checkpoints.where('partition', '==', partition)),
    db.collection(DEAD_LETTERS).where('readModel', '==', projection.name).where('status', '==', 'PENDING').count().get(),
    db.collection(PROJECTIONS).doc(projection.name).collection('rebuilds').where('status', '==', 'running').get(),
  ]);
  const running = rebuilds.docs[0];
  return {
    name: projection.name,
    version: projection.version,
    activeTarget,
    streams: streams.data().count,
    lastAppliedEventAt: lastApplied,
    latestEventAt: latest,
    lagSeconds: lagSeconds(latest, lastApplied, new Date()),
    pendingDeadLetters: deadLetters.data().count,
    rebuilding: running ? { target: running.get('target'), mode: running.get('mode'), processed: running.get('processed') } : null,
  };
}
