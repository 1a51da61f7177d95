/**
 * The API's readiness checks, wired once for `startApi.ts` and the tests alike: Firestore and Pub/Sub
 * reachable, the outbox relay running, no read model stalled (src/core/projectionHealth.ts).
 *
 * The clients come through functions that wait for them: a new instance loads them after it listens
 * (startApi.ts), and until they are in, each check waits for them (and fails at the check's timeout), so
 * /readyz never says ready before they are. For the same reason this module imports the Firestore adapters
 * only when the read models' health is first read.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Topic } from '@google-cloud/pubsub';
import type { AnyProjection } from './core/projection.ts';
import { projectionsCheck, reachable, Readiness } from './telemetry/health.ts';

export interface ApiHealthOptions {
  readonly db: () => Promise<Firestore>;
  /** The domain events topic the relay publishes to. */
  readonly topic: () => Promise<Topic>;
  /** Whether this instance's outbox relay is running. */
  readonly relayRunning: () => boolean;
  readonly projections: readonly AnyProjection[];
  readonly stallAfterSeconds: number;
  /** How long a reading of the read models' health is reused. Default 5 s. */
  readonly projectionsCacheMs?: number;
}

export interface ApiHealth {
  readonly readiness: Readiness;
  /** Reads the read models' health now, recording the projection gauges; for a periodic refresh. */
  refreshProjections(): Promise<unknown>;
}

export function apiHealth(options: ApiHealthOptions): ApiHealth {
  const projections = projectionsCheck(
    async () => {
      const [{ projectionHealth }, db] = await Promise.all([import('./firestore/firestoreProjectionHealth.ts'), options.db()]);
      return projectionHealth(db, options.projections, { stallAfterSeconds: options.stallAfterSeconds });
    },
    options.projectionsCacheMs === undefined ? {} : { cacheMs: options.projectionsCacheMs },
  );
  const readiness = new Readiness([
    // One cheap RPC each: enough to know the client has credentials and a route to the service.
    reachable('firestore', async () => (await options.db()).listCollections()),
    reachable('pubsub', async () => (await options.topic()).getMetadata()),
    { name: 'relay', run: async () => ({ ok: options.relayRunning() }) },
    projections,
  ]);
  return { readiness, refreshProjections: () => projections.refresh() };
}
