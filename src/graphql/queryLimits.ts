/**
 * Limits on the operations themselves, checked before any resolver runs, over every transport (yoga runs
 * them for HTTP and SSE, `webSocket.ts` through the same envelop for graphql-ws):
 *
 * - at parse time, the number of tokens (graphql-armor counts them as the lexer reads, so a huge document
 *   is dropped without being parsed whole);
 * - at validation, depth, aliases and directives (graphql-armor) and the price of the operation with its
 *   variables (`queryCost.ts`, through @pothos/plugin-complexity's validation rule).
 *
 * Each refusal is a GraphQL error with a stable `extensions.code` (QUERY_LIMIT_CODES) and a message saying
 * which limit, and by how much.
 */
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { createComplexityRule } from '@pothos/plugin-complexity';
import { getOperationAST } from 'graphql';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';
import type { QueryLimits } from '../apiLimits.ts';

type ArmorConfig = NonNullable<ConstructorParameters<typeof EnvelopArmor>[0]>;
type RejectCallback = NonNullable<NonNullable<ArmorConfig['maxDepth']>['onReject']>[number];

export const QUERY_LIMIT_CODES = {
  depth: 'QUERY.TOO_DEEP',
  aliases: 'QUERY.TOO_MANY_ALIASES',
  tokens: 'QUERY.TOO_MANY_TOKENS',
  directives: 'QUERY.TOO_MANY_DIRECTIVES',
  cost: 'QUERY.TOO_COMPLEX',
} as const;

export interface QueryLimitOptions {
  /** Mask "Did you mean …?" in validation errors: they reveal the schema as introspection would. */
  readonly hideFieldSuggestions: boolean;
}

export function useQueryLimits(limits: QueryLimits, options: QueryLimitOptions): Plugin[] {
  const armor = new EnvelopArmor({
    maxTokens: { n: limits.maxTokens, onReject: [refuseParse(QUERY_LIMIT_CODES.tokens)] },
    maxDepth: { n: limits.maxDepth, ...reportTo(QUERY_LIMIT_CODES.depth) },
    maxAliases: { n: limits.maxAliases, ...reportTo(QUERY_LIMIT_CODES.aliases) },
    maxDirectives: { n: limits.maxDirectives, ...reportTo(QUERY_LIMIT_CODES.directives) },
    // armor's cost limit prices every field alike; ours knows what list arguments ask for (queryCost.ts).
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: options.hideFieldSuggestions },
  });
  return [...(armor.protect().plugins as Plugin[]), useQueryCost(limits.maxCost)];
}

/**
 * The price depends on the variables, so it is checked on every request, after the other rules (whose
 * results yoga caches per document), on a document they found valid: a broken document gets graphql's own
 * errors, not a second account of them from the pricing. A refusal is thrown rather than added to the
 * validation result, which yoga's cache would then keep for the document: `first: 5` must pass after
 * `first: 5000` was refused, and the other way round.
 *
 * Mutations are not priced. No argument of theirs sizes a list, and pricing reads arguments the way
 * resolvers get them, through their validation: an invalid input would become a validation error instead
 * of the typed InputValidationError result a mutation answers with. Depth, aliases, tokens, directives and
 * the rate limits still apply to them.
 */
function useQueryCost(maxCost: number): Plugin {
  return {
    onValidate({ context, params: { schema, documentAST }, validateFn }) {
      const params = (context as { params?: Partial<GraphQLParams> }).params;
      if (getOperationAST(documentAST, params?.operationName ?? undefined)?.operation === 'mutation') return;
      return ({ valid }) => {
        if (!valid) return;
        const costRule = createComplexityRule({
          context,
          variableValues: params?.variables ?? {},
          operationName: params?.operationName ?? null,
          validate: ({ complexity }, reportError) => {
            if (complexity <= maxCost) return;
            reportError(
              createGraphQLError(
                `The query costs ${complexity}, more than the ${maxCost} allowed: ask for fewer items (first, limit, days) ` +
                  'or nest fewer lists.',
                { extensions: { code: QUERY_LIMIT_CODES.cost, cost: complexity, maxCost } },
              ),
            );
          },
        });
        // validateFn, not graphql's validate imported here: the copy of graphql the schema was built with.
        const refusals = validateFn(schema, documentAST, [costRule]);
        // As yoga answers validation errors: 400, or 200 for clients that asked for application/json; an
        // argument beyond its maximum (its validation runs as it is priced) with yoga's code for them.
        for (const refusal of refusals) {
          Object.assign(refusal.extensions, {
            code: refusal.extensions.code ?? 'GRAPHQL_VALIDATION_FAILED',
            http: { status: 400, spec: true },
          });
        }
        if (refusals.length === 1) throw refusals[0];
        if (refusals.length > 1) throw new AggregateError(refusals, 'The operation was refused.');
      };
    },
  };
}

/** armor's visitors report through the validation context, as ordinary validation errors, with our code. */
function reportTo(code: string): { propagateOnRejection: false; onReject: RejectCallback[] } {
  return {
    propagateOnRejection: false,
    onReject: [(context, error) => context?.reportError(coded(error.message, code))],
  };
}

/** The token limit trips inside the parser, which has no validation context: it throws, and parsing stops. */
function refuseParse(code: string): RejectCallback {
  return (_context, error) => {
    throw coded(error.message, code);
  };
}

/** armor words every refusal as a syntax error; these are limits. */
function coded(armorMessage: string, code: string) {
  return createGraphQLError(armorMessage.replace(/^Syntax Error: /, ''), { extensions: { code } });
}
