/**
 * Turning introspection off, over every transport. @graphql-yoga/plugin-disable-introspection decides per HTTP
 * request (in onRequestParse), so operations over graphql-ws would still introspect; graphql's
 * NoSchemaIntrospectionCustomRule checks types with instanceof, which fails across the two copies of the
 * graphql module loaded side by side under vitest. This rule goes by the two entry points' names instead:
 * every introspection type is reached from `__schema` or `__type` (`__typename` is no introspection).
 */
import type { ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

export const INTROSPECTION_DISABLED = 'QUERY.INTROSPECTION_DISABLED';

const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name !== '__schema' && name !== '__type') return;
    context.reportError(
      createGraphQLError(`Introspection is turned off here: the query asks for "${name}".`, {
        nodes: node,
        extensions: { code: INTROSPECTION_DISABLED },
      }),
    );
  },
});

export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(noIntrospection);
    },
  };
}
