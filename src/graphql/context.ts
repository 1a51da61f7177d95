import type { EventStore } from '../core/eventStore.ts';
import type { SnapshotStore } from '../core/snapshots.ts';
import type { FirestoreReadModels } from '../firestore/firestoreReadModels.ts';
import type { ReadYourWrites } from '../firestore/readYourWrites.ts';
import type { TemporalReads } from '../firestore/temporalReads.ts';
import type { OperationsDeps } from './operationsDeps.ts';
import type { Logger } from '../logger.ts';
import type { ViewLoaders } from './viewLoaders.ts';

/** What the API needs from the outside world, passed in by the composition root. */
export interface ApiDeps {
  readonly store: EventStore;
  /** Snapshots for aggregates that have a policy; optional, loading just reads whole streams without. */
  readonly snapshots?: SnapshotStore;
  readonly readModels: FirestoreReadModels;
  /** Read models as of an instant, and the audit trail; without it, `asOf` and `streamHistory` are refused. */
  readonly temporal?: TemporalReads;
  /** Waits for a read model to reflect a consistency token; without it, `consistentWith` is refused. */
  readonly readYourWrites?: ReadYourWrites;
  /** Projection status and dead letters for the admin operations; without them, those are refused. */
  readonly operations?: OperationsDeps;
  readonly logger: Logger;
  /** Injected so tests and replays control time and ids. */
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Decides who may open which subscription (see `authorizeSubscriptions.ts`); without it, everyone may. */
  readonly authorizeSubscription?: SubscriptionAuthorizer;
}

/**
 * Asked once per subscription, before it starts, with the root field and its arguments (variables
 * substituted, defaults applied); `false` refuses it with a SUBSCRIPTION.FORBIDDEN error over either transport.
 */
export type SubscriptionAuthorizer = (
  context: GraphQLContext,
  field: string,
  args: Readonly<Record<string, unknown>>,
) => boolean | Promise<boolean>;

export interface GraphQLContext {
  readonly deps: ApiDeps;
  /** Correlates every event a request causes; taken from the caller's trace header when present. */
  readonly correlationId: string;
  readonly actor: string | null;
  /** Batched, per-request view reads: resolvers load views through these, never one by one. */
  readonly loaders: ViewLoaders;
}
