/** Shared GraphQL documents and builders for order tests. */
import type { Api } from '../../src/graphql/createApi.ts';
import { asCustomer, asStaff } from './identities.ts';
export const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on PlaceOrderPayload { orderId streamId version replayed }
      ... on Error { code message }
      ... on InputValidationError { issues { path message } }
      ... on IdempotencyKeyReused { idempotencyKey }
    }
  }
`;

export const CUSTOMER_ORDERS = /* GraphQL */ `
  query CustomerOrders($customerId: ID!) {
    customerOrders(customerId: $customerId) {
      customerId orderCount totalSpentCents
      orders(first: 100) { edges { node { orderId status totalCents itemCount version } } }
    }
  }
`;

export const CUSTOMER_ORDERS_SUBSCRIPTION = /* GraphQL */ `
  subscription WatchCustomerOrders($customerId: ID!) {
    customerOrders(customerId: $customerId) {
      customerId orderCount totalSpentCents
      orders(first: 100) { edges { node { orderId status totalCents } } }
    }
  }
`;

/** Two kettles at 25.00 and a mug at 9.00: 59.00 at the prices `setUpShop` puts in the catalog. */
export function orderInput(customerId: string, extra: Record<string, unknown> = {}) {
  return {
    customerId,
    lines: [
      { productId: 'sku-kettle', quantity: 2 },
      { productId: 'sku-mug', quantity: 1 },
    ],
    ...extra,
  };
}

const ADD_PRODUCT = /* GraphQL */ `
  mutation AddProduct($input: AddProductInput!) {
    addProduct(input: $input) { __typename ... on Error { code message } }
  }
`;

const REGISTER_CUSTOMER = /* GraphQL */ `
  mutation RegisterCustomer($input: RegisterCustomerInput!) {
    registerCustomer(input: $input) { __typename ... on Error { code message } }
  }
`;

async function send(api: Api, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<string> {
  const response = await api.fetch('http://api/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, { __typename: string }> };
  return Object.values(body.data ?? {})[0]?.__typename ?? 'none';
}

/**
 * Puts the kettle and the mug in the catalog (once, signed in as catalog staff) and registers the customers
 * (each signed in as themselves), through the API.
 */
export async function setUpShop(api: Api, customerIds: string[], stock = 1000): Promise<void> {
  for (const [productId, name, priceCents] of [
    ['sku-kettle', 'Kettle', 2500],
    ['sku-mug', 'Mug', 900],
  ] as const) {
    const result = await send(api, ADD_PRODUCT, { input: { productId, name, priceCents, initialStock: stock } }, await asStaff('catalog'));
    if (result !== 'ProductCommandPayload' && result !== 'ProductAlreadyExists') throw new Error(`addProduct: ${result}`);
  }
  for (const customerId of customerIds) {
    const result = await send(
      api,
      REGISTER_CUSTOMER,
      { input: { customerId, name: `Customer ${customerId}`, email: `${customerId}@example.com` } },
      await asCustomer(customerId),
    );
    if (result !== 'CustomerCommandPayload' && result !== 'CustomerAlreadyRegistered') throw new Error(`registerCustomer: ${result}`);
  }
}
