/**
 * Admin operations: how each projection is doing (lag included), and its dead letters, which can be
 * inspected, redriven after a fix, or skipped. The same as `npm run projections`, over GraphQL.
 */
import { createGraphQLError } from 'graphql-yoga';
import { DeadLetterAlreadyResolvedError, DeadLetterNotFoundError, type DeadLetter, type DeadLetterStatus } from '../../core/deadLetters.ts';
import { EventloomError } from '../../core/errors.ts';
import type { ProjectionHealth } from '../../core/projectionHealth.ts';
import type { ProjectionStatus } from '../../core/projectionStatus.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import type { OperationsDeps } from '../operationsDeps.ts';
import { decodeCursor, encodeCursor } from '../viewConnections.ts';
import { ErrorInterface } from './errors.ts';

class OperationsUnavailableError extends EventloomError {
  readonly code = 'NOT_AVAILABLE';
  constructor() {
    super('Operations are not available on this deployment.');
  }
}

export function operations(context: GraphQLContext): OperationsDeps {
  const ops = context.deps.operations;
  if (!ops) throw new OperationsUnavailableError();
  return ops;
}

builder.objectType(DeadLetterNotFoundError, {
  name: 'DeadLetterNotFound',
  interfaces: [ErrorInterface],
  fields: (t) => ({ deadLetterId: t.exposeID('deadLetterId') }),
});
builder.objectType(DeadLetterAlreadyResolvedError, {
  name: 'DeadLetterAlreadyResolved',
  interfaces: [ErrorInterface],
  fields: (t) => ({ deadLetterId: t.exposeID('deadLetterId'), status: t.exposeString('status') }),
});

/** The health of every read model, read once per request, however many of them ask (the field resolves lazily). */
const healthReadings = new WeakMap<GraphQLContext, Promise<Map<string, ProjectionHealth>>>();
async function healthOf(context: GraphQLContext, readModel: string): Promise<ProjectionHealth> {
  let reading = healthReadings.get(context);
  if (!reading) {
    const ops = operations(context);
    reading = ops.status
      .projectionHealth(ops.projections, { stallAfterSeconds: ops.stallAfterSeconds })
      .then((healths) => new Map(healths.map((health) => [health.name, health])));
    healthReadings.set(context, reading);
  }
  const health = (await reading).get(readModel);
  if (!health) throw new Error(`No health reading for read model ${readModel}`);
  return health;
}

const ProjectionStatusRef = builder.objectRef<ProjectionStatus>('ProjectionStatus').implement({
  description: 'A read model: where it is served from, how far it has got, and how far behind the event store it is.',
  fields: (t) => ({
    readModel: t.exposeString('name'),
    version: t.exposeInt('version'),
    activeTarget: t.exposeString('activeTarget', { description: 'The collection it is served from (changes with a rebuild).' }),
    streams: t.exposeInt('streams', { description: 'Streams it has applied events of.' }),
    lastAppliedEventAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastAppliedEventAt }),
    latestEventAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.latestEventAt }),
    lagSeconds: t.exposeFloat('lagSeconds', { description: 'How far its newest applied event trails the newest stored one.' }),
    pendingDeadLetters: t.exposeInt('pendingDeadLetters'),
    rebuilding: t.string({ nullable: true, resolve: (s) => (s.rebuilding ? `${s.rebuilding.mode} into ${s.rebuilding.target}` : null) }),
    stalled: t.boolean({
      description:
        'An event of a type it reads has waited longer than PROJECTION_STALL_SECONDS after the newest it applied: ' +
        'its checkpoint stopped advancing while newer events exist (as /readyz and eventloom.projection.stalled report). ' +
        'Merely being behind is not stalled.',
      resolve: async (s, _args, context) => (await healthOf(context, s.name)).stalled,
    }),
    pendingEvents: t.int({
      description: 'Events of the types it reads stored after the newest it applied, counted up to 1000.',
      resolve: async (s, _args, context) => (await healthOf(context, s.name)).pendingEvents,
    }),
  }),
});

builder.queryField('projections', (t) =>
  t.field({
    authScopes: { operator: true },
    type: [ProjectionStatusRef],
    description: 'Every read model and its lag.',
    resolve: (_root, _args, context) => {
      const ops = operations(context);
      return ops.status.projectionStatus(ops.projections);
    },
  }),
);

const DeadLetterStatusEnum = builder.enumType('DeadLetterStatus', {
  values: ['PENDING', 'REDRIVEN', 'SKIPPED'] as const satisfies readonly DeadLetterStatus[],
});

const DeadLetterRef = builder.objectRef<DeadLetter>('DeadLetter').implement({
  description: 'A delivery a projector gave up on after its maximum attempts.',
  fields: (t) => ({
    id: t.exposeID('id'),
    readModel: t.exposeString('readModel'),
    status: t.field({ type: DeadLetterStatusEnum, resolve: (d) => d.status }),
    streamId: t.string({ nullable: true, resolve: (d) => d.event?.streamId ?? null }),
    version: t.int({ nullable: true, resolve: (d) => d.event?.version ?? null }),
    eventType: t.string({ nullable: true, resolve: (d) => d.event?.type ?? null }),
    eventId: t.string({ nullable: true, resolve: (d) => d.event?.eventId ?? null }),
    event: t.field({ type: 'JSON', nullable: true, description: 'The event as delivered, when it was one.', resolve: (d) => d.event }),
    attributes: t.field({ type: 'JSON', resolve: (d) => d.attributes }),
    deliveryAttempts: t.int({ nullable: true, resolve: (d) => d.deliveryAttempts }),
    deadLetteredAt: t.field({ type: 'DateTime', resolve: (d) => d.deadLetteredAt }),
    resolvedAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.resolvedAt }),
    resolvedBy: t.string({ nullable: true, resolve: (d) => d.resolvedBy }),
  }),
});

const MAX_DEAD_LETTER_PAGE = 200;

const DeadLetterConnectionRef = builder.connectionObject({ type: DeadLetterRef, name: 'DeadLetterConnection' }, { name: 'DeadLetterEdge' });

builder.queryField('deadLetters', (t) =>
  t.field({
    authScopes: { operator: true },
    type: DeadLetterConnectionRef,
    args: {
      readModel: t.arg.string({ required: false }),
      status: t.arg({ type: DeadLetterStatusEnum, required: false }),
      first: t.arg.int({ required: false, description: `Page size: default 50, at most ${MAX_DEAD_LETTER_PAGE}.` }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, context) => {
      const ops = operations(context);
      const first = args.first ?? 50;
      if (first < 1 || first > MAX_DEAD_LETTER_PAGE) {
        throw createGraphQLError(`first must be between 1 and ${MAX_DEAD_LETTER_PAGE}.`, { extensions: { code: 'PAGE.INVALID_SIZE' } });
      }
      const page = await ops.deadLetters.list({
        ...(args.readModel ? { readModel: args.readModel } : {}),
        ...(args.status ? { status: args.status } : {}),
        first,
        after: args.after ? decodeCursor(args.after) : null,
      });
      const edges = page.deadLetters.map((d) => ({ cursor: encodeCursor(d.id), node: d }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.endCursor !== null,
          hasPreviousPage: Boolean(args.after),
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);

const resolutionErrors = [DeadLetterNotFoundError, DeadLetterAlreadyResolvedError];

builder.mutationField('redriveDeadLetter', (t) =>
  t.field({
    authScopes: { operator: true },
    type: DeadLetterRef,
    description: 'Republishes the original message (once the cause is fixed); projectors that had applied it ignore it.',
    errors: { types: resolutionErrors },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => {
      const ops = operations(context);
      return ops.deadLetters.redrive(String(id), context.principal?.uid ?? null);
    },
  }),
);

builder.mutationField('skipDeadLetter', (t) =>
  t.field({
    authScopes: { operator: true },
    type: DeadLetterRef,
    description: 'Lets the projector pass over the event for good (its stream moves on without it).',
    errors: { types: resolutionErrors },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => {
      const ops = operations(context);
      return ops.deadLetters.skip(String(id), context.principal?.uid ?? null);
    },
  }),
);
