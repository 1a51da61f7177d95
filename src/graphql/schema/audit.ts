/** The audit trail: a stream's events, page by page, with who, when, why and the command that caused them. */
import { createGraphQLError } from 'graphql-yoga';
import type { RecordedEvent } from '../../core/temporalReads.ts';
import { builder } from '../builder.ts';
import { decodeCursor, encodeCursor } from '../viewConnections.ts';

const StreamEventRef = builder.objectRef<RecordedEvent>('StreamEvent').implement({
  description: 'One event of a stream, as recorded, at the current version of its type.',
  fields: (t) => ({
    eventId: t.id({ resolve: ({ event }) => event.eventId }),
    streamId: t.string({ resolve: ({ event }) => event.streamId }),
    version: t.int({ resolve: ({ event }) => event.version }),
    type: t.string({ resolve: ({ event }) => event.type }),
    schemaVersion: t.int({ resolve: ({ event }) => event.schemaVersion }),
    occurredAt: t.field({
      type: 'DateTime',
      description: 'When it happened, as the command said.',
      resolve: ({ event }) => event.occurredAt,
    }),
    recordedAt: t.field({ type: 'DateTime', description: 'When the store committed it.', resolve: ({ recordedAt }) => recordedAt }),
    actor: t.string({
      nullable: true,
      description: 'Who issued the command: the uid of the verified principal.',
      resolve: ({ event }) => (event.metadata.actor as string | null | undefined) ?? null,
    }),
    actorRole: t.string({
      nullable: true,
      description: 'The role the actor issued it in: customer, catalog, fulfilment or operator.',
      resolve: ({ event }) => (event.metadata.actorRole as string | null | undefined) ?? null,
    }),
    command: t.string({ nullable: true, resolve: ({ event }) => (event.metadata.command as string | null | undefined) ?? null }),
    correlationId: t.string({ resolve: ({ event }) => event.metadata.correlationId }),
    causationId: t.string({ nullable: true, resolve: ({ event }) => event.metadata.causationId }),
    data: t.field({ type: 'JSON', resolve: ({ event }) => event.data }),
  }),
});

const StreamHistoryRef = builder.connectionObject({ type: StreamEventRef, name: 'StreamHistoryConnection' }, { name: 'StreamHistoryEdge' });

const MAX_PAGE = 200;

builder.queryField('streamHistory', (t) =>
  t.field({
    authScopes: { operator: true },
    type: StreamHistoryRef,
    description: 'The audit trail of one stream (e.g. `order-<id>`, `product-<id>`, `customer-<id>`), oldest first.',
    args: {
      streamId: t.arg.string({ required: true }),
      first: t.arg.int({ required: false, description: `Page size: default 50, at most ${MAX_PAGE}.` }),
      after: t.arg.string({ required: false, description: 'The `endCursor` of the previous page.' }),
    },
    resolve: async (_root, { streamId, first, after }, { deps }) => {
      if (!deps.temporal)
        throw createGraphQLError('The audit trail is not available on this deployment.', { extensions: { code: 'NOT_AVAILABLE' } });
      const size = first ?? 50;
      if (size < 1 || size > MAX_PAGE) {
        throw createGraphQLError(`first must be between 1 and ${MAX_PAGE}.`, { extensions: { code: 'PAGE.INVALID_SIZE' } });
      }
      const afterVersion = after ? Number(decodeCursor(after)) : 0;
      const { events, hasNextPage } = await deps.temporal.history(streamId, { first: size, afterVersion });
      const edges = events.map((recorded) => ({ cursor: encodeCursor(String(recorded.event.version)), node: recorded }));
      return {
        edges,
        pageInfo: {
          hasNextPage,
          hasPreviousPage: afterVersion > 0,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);
