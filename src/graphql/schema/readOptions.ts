/**
 * How a query may read a view besides "now": as of an instant (time travel), or only once it reflects
 * a write the client made (read-your-writes). Shared by the `order`, `product` and `customer` queries.
 */
import { createGraphQLError } from 'graphql-yoga';
import type { AnyProjection } from '../../core/projection.ts';
import { viewFromEvents, type RecordedEvent } from '../../core/temporalReads.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';

const DEFAULT_WAIT_MS = 2_000;
const MAX_WAIT_MS = 10_000;

export const ConsistencyTokenInput = builder.inputType('ConsistencyTokenInput', {
  description: 'The `streamId` and `version` a mutation returned: read only once the read model reflects them.',
  fields: (t) => ({
    streamId: t.string({ required: true }),
    version: t.int({ required: true }),
  }),
});

type ArgBuilder = Parameters<Parameters<typeof builder.queryField>[1]>[0]['arg'];

export function readOptionArgs(t: { arg: ArgBuilder }) {
  return {
    asOf: t.arg({
      type: 'DateTime',
      required: false,
      description: 'Read the view as it was known at this instant, folded from the events recorded up to then.',
    }),
    consistentWith: t.arg({
      type: ConsistencyTokenInput,
      required: false,
      description: 'Wait (up to `waitMs`) until the view reflects this write; READ_MODEL.STALE if it does not by then.',
    }),
    waitMs: t.arg.int({ required: false, description: `Default ${DEFAULT_WAIT_MS}, at most ${MAX_WAIT_MS}.` }),
  };
}

export interface ReadOptions {
  readonly asOf?: Date | null;
  readonly consistentWith?: { readonly streamId: string; readonly version: number } | null;
  readonly waitMs?: number | null;
}

function refuse(message: string, code: string, extensions: Record<string, unknown> = {}) {
  return createGraphQLError(message, { extensions: { code, ...extensions } });
}

/**
 * Reads one view now, as of `asOf`, or once it is consistent with a token. `eventsAsOf` says which
 * recorded events make up the view (its own stream, or a customer's streams).
 */
export async function readView<View>(
  context: GraphQLContext,
  projection: AnyProjection<View>,
  viewId: string,
  options: ReadOptions,
  eventsAsOf: (asOf: Date) => Promise<readonly RecordedEvent[]>,
): Promise<View | null> {
  const { deps, loaders } = context;
  if (options.asOf && options.consistentWith) {
    throw refuse('Pass either asOf or consistentWith, not both.', 'VALIDATION');
  }
  if (options.asOf) {
    if (!deps.temporal) throw refuse('Time travel is not available on this deployment.', 'NOT_AVAILABLE');
    return viewFromEvents(projection, viewId, await eventsAsOf(options.asOf));
  }
  if (options.consistentWith) {
    await awaitConsistency(context, projection, options.consistentWith, options.waitMs);
    loaders.clearAll();
  }
  return loaders.load(projection, viewId);
}

/** Waits (bounded) until the projection has applied the token's stream version, else READ_MODEL.STALE. */
export async function awaitConsistency(
  { deps }: GraphQLContext,
  projection: AnyProjection,
  token: { readonly streamId: string; readonly version: number },
  requestedWaitMs?: number | null,
): Promise<void> {
  if (!deps.readYourWrites) throw refuse('Read-your-writes is not available on this deployment.', 'NOT_AVAILABLE');
  const waitMs = Math.min(Math.max(requestedWaitMs ?? DEFAULT_WAIT_MS, 0), MAX_WAIT_MS);
  const consistency = await deps.readYourWrites.waitFor(projection, token, waitMs);
  if (!consistency.reached) {
    throw refuse(`The ${projection.name} read model has not caught up with ${token.streamId}@${token.version} yet.`, 'READ_MODEL.STALE', {
      streamId: token.streamId,
      version: token.version,
      checkpoint: consistency.checkpoint,
      waitedMs: waitMs,
    });
  }
}
