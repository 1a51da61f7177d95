/**
 * How each projection is doing: where it is served from, how far it has got, how far behind the event
 * store it is, and what is stuck in its dead letters. Computed from the checkpoints the projector
 * writes anyway, so no document is written on every event just to keep statistics.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { AnyProjection } from '../core/projection.ts';
import { DEAD_LETTERS } from './firestoreDeadLetters.ts';
import { EVENTS } from './firestoreEventStore.ts';
import { activeTargetOf, PROJECTIONS, registryRef } from './firestoreProjector.ts';

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly activeTarget: string;
  /** Streams this projection has applied events of. */
  readonly streams: number;
  /** occurredAt of the newest event it has applied. */
  readonly lastAppliedEventAt: string | null;
  /** occurredAt of the newest event in the store. */
  readonly latestEventAt: string | null;
  /** How far the newest applied event trails the newest stored one, in seconds (0 when caught up). */
  readonly lagSeconds: number;
  readonly pendingDeadLetters: number;
  readonly rebuilding: { readonly target: string; readonly mode: string; readonly processed: number } | null;
}

export async function latestEventAt(db: Firestore): Promise<string | null> {
  const newest = await db.collectionGroup(EVENTS).orderBy('occurredAt', 'desc').limit(1).get();
  return (newest.docs[0]?.get('occurredAt') as string | undefined) ?? null;
}

export async function projectionStatus(db: Firestore, projection: AnyProjection, newestEventAt?: string | null): Promise<ProjectionStatus> {
  const latest = newestEventAt === undefined ? await latestEventAt(db) : newestEventAt;
  const activeTarget = activeTargetOf(await registryRef(db, projection).get(), projection);
  const checkpoints = db.collection(PROJECTIONS).doc(activeTarget).collection('checkpoints');
  const [streams, newestApplied, deadLetters, rebuilds] = await Promise.all([
    checkpoints.count().get(),
    checkpoints.orderBy('occurredAt', 'desc').limit(1).get(),
    db.collection(DEAD_LETTERS).where('readModel', '==', projection.name).where('status', '==', 'PENDING').count().get(),
    db.collection(PROJECTIONS).doc(projection.name).collection('rebuilds').where('status', '==', 'running').get(),
  ]);
  const lastApplied = (newestApplied.docs[0]?.get('occurredAt') as string | undefined) ?? null;
  // With nothing applied yet, it is at least as far behind as the newest event is old.
  const lagMs = !latest ? 0 : lastApplied ? Date.parse(latest) - Date.parse(lastApplied) : Date.now() - Date.parse(latest);
  const running = rebuilds.docs[0];
  return {
    name: projection.name,
    version: projection.version,
    activeTarget,
    streams: streams.data().count,
    lastAppliedEventAt: lastApplied,
    latestEventAt: latest,
    lagSeconds: Math.max(0, lagMs / 1000),
    pendingDeadLetters: deadLetters.data().count,
    rebuilding: running ? { target: running.get('target'), mode: running.get('mode'), processed: running.get('processed') } : null,
  };
}
