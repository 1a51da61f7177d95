/** Shared GraphQL documents and builders for order tests. */
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
      orders { orderId status totalCents itemCount version }
    }
  }
`;

export const CUSTOMER_ORDERS_SUBSCRIPTION = /* GraphQL */ `
  subscription WatchCustomerOrders($customerId: ID!) {
    customerOrders(customerId: $customerId) {
      customerId orderCount totalSpentCents
      orders { orderId status totalCents }
    }
  }
`;

export function orderInput(customerId: string, extra: Record<string, unknown> = {}) {
  return {
    customerId,
    lines: [
      { productId: 'sku-kettle', quantity: 2, unitPriceCents: 2500 },
      { productId: 'sku-mug', quantity: 1, unitPriceCents: 900 },
    ],
    ...extra,
  };
}
