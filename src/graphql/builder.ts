/** The Pothos schema builder. It defines no types: each schema/<module>.ts owns its own. */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { authScopes, refusal, type AuthScopes } from './authScopes.ts';
import type { GraphQLContext } from './context.ts';

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
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, ValidationPlugin],
  scopeAuth: {
    authScopes,
    unauthorizedError: (_parent, context) => refusal(context),
    // Subscriptions are authorized when they start, for the root field that actually executes (a field
    // skipped with @skip or @include is never checked, and never runs).
    authorizeOnSubscribe: true,
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
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
});
