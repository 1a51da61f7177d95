/**
 * Adapters that arrive after the server listens. A new instance (startApi.ts) opens its port as soon as the
 * schema is built and loads Firestore, Pub/Sub and firebase-admin afterwards (about four times the JavaScript
 * of graphql-yoga itself): on the first operation that needs them, or shortly after start, whichever comes
 * first. Operations wait for them at execution, unless they read nothing but GraphQL's meta fields
 * (`__typename`, `__schema`, `__type`), which need no adapter. Everything before execution (limits, rate limits,
 * authentication) runs as usual.
 */
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { TokenVerifier } from '../auth/principal.ts';
import type { Logger } from '../logger.ts';
import type { ApiDeps, GraphQLContext } from './context.ts';
import { ViewLoaders } from './viewLoaders.ts';

export interface DeferredApiDeps {
  /** Loads the adapters (the first call; later calls return the same promise). */
  readonly load: () => Promise<ApiDeps>;
  /** Needed before execution (authentication), so not deferred: FirebaseTokenVerifier loads its library lazily. */
  readonly tokens: TokenVerifier;
  readonly connectionTokens?: TokenVerifier;
  readonly logger: Logger;
}

export function isDeferred(deps: ApiDeps | DeferredApiDeps): deps is DeferredApiDeps {
  return 'load' in deps;
}

/** Puts `deps` and `loaders` into the context of each operation that needs them, once they are loaded. */
export function useDeferredDeps(load: () => Promise<ApiDeps>): Plugin<GraphQLContext> {
  const provide = async ({
    args,
    extendContext,
  }: {
    args: { document: DocumentNode; operationName?: string | null };
    extendContext(extension: Partial<GraphQLContext>): void;
  }) => {
    if (readsOnlyMetaFields(args.document, args.operationName)) return;
    const deps = await load();
    extendContext({ deps, loaders: new ViewLoaders(deps.readModels) });
  };
  return { onExecute: provide, onSubscribe: provide };
}

/** Whether the operation selects only meta fields, with no fragments (which could reach any field). */
export function readsOnlyMetaFields(document: DocumentNode, operationName?: string | null): boolean {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  return operation !== undefined && metaOnly(operation.selectionSet);
}

function metaOnly(selectionSet: SelectionSetNode): boolean {
  return selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'));
}
