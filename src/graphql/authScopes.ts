/**
 * Who may call what: the scopes every field's rule is written in (`authScopes` next to each field, see
 * @pothos/plugin-scope-auth), and the refusal a caller gets. Rules read as "any of these":
 *
 *   public                     anyone, signed in or not
 *   customer: <customerId>     the signed-in customer with that id (their uid)
 *   orderOwner: <orderId>      the signed-in customer who placed that order
 *   catalog / fulfilment / operator   staff holding that role (the `roles` custom claim)
 *
 * `assertEveryFieldHasARule` keeps the default at "no one": the schema does not build while a root
 * field has no rule.
 */
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { StaffRole } from '../auth/principal.ts';
import { orderStreamId } from '../orders/orderEvents.ts';
import type { GraphQLContext } from './context.ts';

export interface AuthScopes {
  public: boolean;
  customer: string;
  orderOwner: string;
  catalog: boolean;
  fulfilment: boolean;
  operator: boolean;
}

type ScopeLoaders = {
  [Scope in keyof AuthScopes]: AuthScopes[Scope] extends boolean ? boolean : (param: AuthScopes[Scope]) => boolean | Promise<boolean>;
};

export function authScopes(context: GraphQLContext): ScopeLoaders {
  const { principal } = context;
  const hasRole = (role: StaffRole) => principal?.roles.has(role) ?? false;
  return {
    public: true,
    customer: (customerId) => principal !== null && principal.uid === customerId,
    orderOwner: async (orderId) => principal !== null && (await orderCustomer(context, orderId)) === principal.uid,
    catalog: hasRole('catalog'),
    fulfilment: hasRole('fulfilment'),
    operator: hasRole('operator'),
  };
}

/**
 * The customer who placed an order, from the order stream's first event: the event store is the one
 * place that knows it at once (the order's view may not be projected yet), and it never changes.
 */
async function orderCustomer(context: GraphQLContext, orderId: string): Promise<string | null> {
  const [placed] = await context.deps.store.readStream(orderStreamId(orderId), { toVersion: 1 });
  const customerId = (placed?.data as { customerId?: unknown } | undefined)?.customerId;
  return typeof customerId === 'string' ? customerId : null;
}

/** The error a refused field resolves to: AUTH.UNAUTHENTICATED without a principal, else AUTH.FORBIDDEN. */
export function refusal(context: GraphQLContext) {
  return context.principal
    ? createGraphQLError('Not allowed: your roles do not cover this.', { extensions: { code: 'AUTH.FORBIDDEN' } })
    : createGraphQLError('Sign in first: send a Firebase ID token as `Authorization: Bearer <token>`.', {
        extensions: { code: 'AUTH.UNAUTHENTICATED' },
      });
}

/**
 * The root fields (query, mutation, subscription) that declare no rule. (No `isObjectType`: it refuses
 * types from a second copy of the graphql module, as under vitest, where ESM and CJS copies meet.)
 */
export function fieldsWithoutARule(schema: GraphQLSchema): string[] {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  return roots
    .filter((type): type is GraphQLObjectType => Boolean(type))
    .flatMap((type) =>
      Object.values(type.getFields())
        .filter((field) => (field.extensions.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes === undefined)
        .map((field) => `${type.name}.${field.name}`),
    );
}

export function assertEveryFieldHasARule(schema: GraphQLSchema): GraphQLSchema {
  const missing = fieldsWithoutARule(schema);
  if (missing.length > 0) {
    throw new Error(`Every root field declares who may call it (authScopes); these do not: ${missing.join(', ')}`);
  }
  return schema;
}
