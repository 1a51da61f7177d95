/** The Pothos schema builder. It defines no types: each schema/<module>.ts owns its own. */
import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { z } from 'zod';
import { authScopes, refusal, type AuthScopes } from './authScopes.ts';
import type { GraphQLContext } from './context.ts';
import { fieldCost, PRICED_BY_PARENT } from './queryCost.ts';
import { MAX_PAGE } from './viewConnections.ts';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: AuthScopes;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  // Scope auth first, so a refusal happens before anything else runs for the field.
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, ValidationPlugin, ComplexityPlugin],
  scopeAuth: {
    authScopes,
    unauthorizedError: (_parent, context) => refusal(context),
    // Subscriptions are authorized when they start, for the root field that actually executes (a field
    // skipped with @skip or @include is never checked, and never runs).
    authorizeOnSubscribe: true,
  },
  complexity: {
    // Every field is priced by queryCost.ts (list sizes multiply, time travel adds a scan)...
    fieldComplexity: fieldCost,
    // ...and the price is checked once per request at validation (queryLimits.ts), before any resolver
    // runs; the plugin's own check would run as each root resolver starts, after earlier ones have.
    disabled: true,
  },
  // Output fields are non-null unless a field says otherwise: clients should not guard every field.
  defaultFieldNullability: false,
  errors: {
    // Invalid input becomes a typed InputValidationError result instead of a top-level error.
    unsafelyHandleInputErrors: true,
    // `placeOrder` returns `PlaceOrderPayload | InputValidationError | ...` named `PlaceOrderResult`.
    directResult: true,
    defaultUnionOptions: {
      name: ({ fieldName }) => `${fieldName.charAt(0).toUpperCase()}${fieldName.slice(1)}Result`,
    },
  },
  relay: {
    // Connections only: views are addressed by their domain ids (the ids mutations take), so there
    // is no global Node id to refetch by.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    clientMutationId: 'omit',
    cursorType: 'String',
    // The connection's `first` or `last` already multiplied the cost of its edges.
    edgesFieldOptions: { nullable: false, complexity: PRICED_BY_PARENT },
    // Relay's own arguments are clamped to the page size silently; refuse what no page can hold instead.
    firstArgOptions: { validate: z.number().int().min(0).max(MAX_PAGE).nullish() },
    lastArgOptions: { validate: z.number().int().min(0).max(MAX_PAGE).nullish() },
    nodeFieldOptions: { nullable: false },
  },
});
