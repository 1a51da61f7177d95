import type { Principal, TokenVerifier } from '../auth/principal.ts';
import type { EventStore } from '../core/eventStore.ts';
import type { ReadModels } from '../core/readModels.ts';
import type { ReadYourWrites } from '../core/readYourWrites.ts';
import type { SnapshotStore } from '../core/snapshots.ts';
import type { TemporalReads } from '../core/temporalReads.ts';
import type { PersonalDataEraser } from '../core/personalData.ts';
import type { Logger } from '../logger.ts';
import type { OperationsDeps } from './operationsDeps.ts';
import type { ViewLoaders } from './viewLoaders.ts';

/** What the API needs from the outside world, passed in by the composition root. */
export interface ApiDeps {
  readonly store: EventStore;
  /** Snapshots for aggregates that have a policy; optional, loading just reads whole streams without. */
  readonly snapshots?: SnapshotStore;
  readonly readModels: ReadModels;
  /** Read models as of an instant, and the audit trail; without it, `asOf` and `streamHistory` are refused. */
  readonly temporal?: TemporalReads;
  /** Waits for a read model to reflect a consistency token; without it, `consistentWith` is refused. */
  readonly readYourWrites?: ReadYourWrites;
  /** Projection status (lag) and dead letters for the admin operations; without them, those are refused. */
  readonly operations?: OperationsDeps;
  /** Destroys a forgotten customer's data key and purges their copies; without it, `forgetCustomer` is refused. */
  readonly privacy?: PersonalDataEraser;
  readonly logger: Logger;
  /** Injected so tests and replays control time and ids. */
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Verifies the bearer token of every HTTP request, and of every WebSocket connection when it opens. */
  readonly tokens: TokenVerifier;
  /** Verifies WebSocket connections, which live long: revocation is checked. Default `tokens`. */
  readonly connectionTokens?: TokenVerifier;
}

export interface GraphQLContext {
  readonly deps: ApiDeps;
  /** Correlates every event a request causes; taken from the caller's trace header when present. */
  readonly correlationId: string;
  /** The verified caller; null for an anonymous request (which only public fields answer). */
  readonly principal: Principal | null;
  /** The caller's network address (see callers.ts), null without a socket (in-process tests). */
  readonly clientAddress: string | null;
  /** Batched, per-request view reads: resolvers load views through these, never one by one. */
  readonly loaders: ViewLoaders;
}
