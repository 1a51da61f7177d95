/**
 * The authorization hook for subscriptions: before a subscription starts (over SSE or WebSocket, both run
 * through yoga's envelop), `authorizeSubscription(context, field, args)` from the API's dependencies is asked
 * with the root field and its arguments. A refusal is a SUBSCRIPTION.FORBIDDEN error, and no
 * listener is opened. The default allows everything: the rules are the deployment's to write.
 */
import { getOperationAST, Kind, valueFromASTUntyped, type DocumentNode, type FieldNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { EventloomError } from '../core/errors.ts';
import type { GraphQLContext, SubscriptionAuthorizer } from './context.ts';
import { subscriptionError } from './subscriptionErrors.ts';

export class SubscriptionForbiddenError extends EventloomError {
  readonly code = 'SUBSCRIPTION.FORBIDDEN';

  constructor(readonly field: string) {
    super(`Not allowed to subscribe to ${field}.`);
  }
}

export const allowAllSubscriptions: SubscriptionAuthorizer = () => true;

export function useSubscriptionAuthorization(authorize: SubscriptionAuthorizer): Plugin<GraphQLContext> {
  return {
    async onSubscribe({ args, setResultAndStopExecution }) {
      const root = rootField(args.schema, args.document, args.operationName, args.variableValues);
      // An operation whose root field cannot be read fails in execution before anything is subscribed.
      if (!root) return;
      if (await authorize(args.contextValue, root.name, root.args)) return;
      setResultAndStopExecution({ errors: [subscriptionError(new SubscriptionForbiddenError(root.name))] });
    },
  };
}

/**
 * The subscription's root field (validation has made sure there is exactly one) with its arguments: as sent,
 * variables substituted, defaults applied. Read from the syntax tree without graphql's coercion helpers,
 * which refuse types from a second copy of the graphql module (ESM and CJS side by side, as under vitest).
 */
function rootField(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): { name: string; args: Record<string, unknown> } | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  const subscriptionType = schema.getSubscriptionType();
  if (operation?.operation !== 'subscription' || !subscriptionType) return null;
  const node = firstField(operation.selectionSet, document);
  const field = node && subscriptionType.getFields()[node.name.value];
  if (!node || !field) return null;
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (variables && name in variables) values[name] = variables[name];
    else if (definition.defaultValue) values[name] = valueFromASTUntyped(definition.defaultValue);
  }
  const args: Record<string, unknown> = {};
  for (const arg of field.args) {
    const given = node.arguments?.find((a) => a.name.value === arg.name);
    const value = given ? valueFromASTUntyped(given.value, values) : undefined;
    if (value !== undefined) args[arg.name] = value;
    else if (arg.defaultValue !== undefined) args[arg.name] = arg.defaultValue;
  }
  return { name: field.name, args };
}

function firstField(selectionSet: SelectionSetNode, document: DocumentNode): FieldNode | null {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) return selection;
    const inner =
      selection.kind === Kind.INLINE_FRAGMENT
        ? selection.selectionSet
        : document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
    const set = inner && 'selectionSet' in inner ? inner.selectionSet : undefined;
    const found = set ? firstField(set, document) : null;
    if (found) return found;
  }
  return null;
}
