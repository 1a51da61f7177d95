/**
 * changeCustomerDetails and changeProductPrice over the whole pipeline, each sent by someone signed in:
 * what the command answers, who may send it, and what the read models show once they reflect it (read
 * with the consistency token the mutation returned, so no test waits on a clock).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asCustomer, asStaff } from './support/identities.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(() => pipeline?.stop());

const CHANGE_DETAILS = /* GraphQL */ `
  mutation ($input: ChangeCustomerDetailsInput!) {
    changeCustomerDetails(input: $input) {
      __typename
      ... on CustomerCommandPayload { customerId streamId version replayed }
      ... on Error { code }
    }
  }
`;
const CUSTOMER = /* GraphQL */ `
  query ($id: ID!, $token: ConsistencyTokenInput) {
    customer(customerId: $id, consistentWith: $token, waitMs: 10000) { customerId name email orderCount totalSpentCents }
  }
`;
const ADD_PRODUCT = /* GraphQL */ `
  mutation ($input: AddProductInput!) { addProduct(input: $input) { __typename ... on Error { code } } }
`;
const CHANGE_PRICE = /* GraphQL */ `
  mutation ($input: ChangeProductPriceInput!) {
    changeProductPrice(input: $input) {
      __typename
      ... on ProductCommandPayload { productId streamId version replayed }
      ... on Error { code }
    }
  }
`;
const PRODUCT = /* GraphQL */ `
  query ($id: ID!, $token: ConsistencyTokenInput) {
    product(productId: $id, consistentWith: $token, waitMs: 10000) { id priceCents currency version }
  }
`;
const ORDER = /* GraphQL */ `
  query ($id: ID!, $token: ConsistencyTokenInput) {
    order(orderId: $id, consistentWith: $token, waitMs: 10000) { totalCents }
  }
`;

type Token = { streamId: string; version: number };
const streamVersion = async (streamId: string) => (await pipeline.store.readStream(streamId)).length;

describe('changeCustomerDetails through the API', () => {
  it("changes the signed-in customer's name and email, and their view shows them with their orders kept", async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const customer = await asCustomer(customerId);
    const placed = await graphql<{ placeOrder: Token }>(pipeline.api, PLACE_ORDER, { input: orderInput(customerId) }, customer);
    expect(placed.errors).toBeUndefined();

    const changed = await graphql<{ changeCustomerDetails: Token }>(
      pipeline.api,
      CHANGE_DETAILS,
      { input: { customerId, name: 'Ada King', email: 'ada.king@example.com' } },
      customer,
    );
    expect(changed).toEqual({
      data: {
        changeCustomerDetails: {
          __typename: 'CustomerCommandPayload',
          customerId,
          streamId: `customer-${customerId}`,
          version: 2,
          replayed: false,
        },
      },
    });
    const token = { streamId: `customer-${customerId}`, version: 2 };
    // The view folds the customer's stream and their orders': wait for the order's token first, then the change's.
    const orderApplied = await graphql(
      pipeline.api,
      CUSTOMER,
      { id: customerId, token: { streamId: placed.data!.placeOrder.streamId, version: 1 } },
      customer,
    );
    expect(orderApplied.errors).toBeUndefined();
    expect(await graphql(pipeline.api, CUSTOMER, { id: customerId, token }, customer)).toEqual({
      data: { customer: { customerId, name: 'Ada King', email: 'ada.king@example.com', orderCount: 1, totalSpentCents: 5900 } },
    });
    // Staff who serve customers see the change too.
    expect((await graphql(pipeline.api, CUSTOMER, { id: customerId, token }, await asStaff('fulfilment'))).data).toMatchObject({
      customer: { name: 'Ada King', email: 'ada.king@example.com' },
    });
  });

  it('is refused to anyone but the customer, and to a customer not registered yet, appending nothing', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const input = { customerId, name: 'Mallory', email: 'mallory@example.com' };

    const anonymous = await graphql(pipeline.api, CHANGE_DETAILS, { input });
    expect(anonymous).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.UNAUTHENTICATED' } }] });
    const otherCustomer = await graphql(pipeline.api, CHANGE_DETAILS, { input }, await asCustomer(`c-${randomUUID().slice(0, 8)}`));
    expect(otherCustomer).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.FORBIDDEN' } }] });
    expect(await streamVersion(`customer-${customerId}`)).toBe(1);

    const unregistered = `c-${randomUUID().slice(0, 8)}`;
    const notFound = await graphql(
      pipeline.api,
      CHANGE_DETAILS,
      { input: { customerId: unregistered, name: 'Nobody', email: 'nobody@example.com' } },
      await asCustomer(unregistered),
    );
    expect(notFound).toEqual({ data: { changeCustomerDetails: { __typename: 'CustomerNotFound', code: 'CUSTOMER.NOT_FOUND' } } });
    expect(await streamVersion(`customer-${unregistered}`)).toBe(0);
  });
});

describe('changeProductPrice through the API', () => {
  it('reprices the product in the catalog view, and orders placed after it pay the new price', async () => {
    const productId = `p-${randomUUID().slice(0, 8)}`;
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const catalog = await asStaff('catalog');
    const customer = await asCustomer(customerId);
    expect(
      await graphql(pipeline.api, ADD_PRODUCT, { input: { productId, name: 'Teapot', priceCents: 1000, initialStock: 50 } }, catalog),
    ).toEqual({ data: { addProduct: { __typename: 'ProductCommandPayload' } } });
    const order = async () => {
      const placed = await graphql<{ placeOrder: Token & { orderId: string } }>(
        pipeline.api,
        PLACE_ORDER,
        { input: { customerId, lines: [{ productId, quantity: 2 }] } },
        customer,
      );
      const { orderId, streamId, version } = placed.data!.placeOrder;
      return { orderId, token: { streamId, version } };
    };
    const before = await order();

    const changed = await graphql<{ changeProductPrice: Token }>(
      pipeline.api,
      CHANGE_PRICE,
      { input: { productId, priceCents: 1250 } },
      catalog,
    );
    // Added, repriced: the reservation went to one of the product's stock buckets, a stream of its own.
    expect(changed).toEqual({
      data: {
        changeProductPrice: {
          __typename: 'ProductCommandPayload',
          productId,
          streamId: `product-${productId}`,
          version: 2,
          replayed: false,
        },
      },
    });
    const token = { streamId: `product-${productId}`, version: 2 };
    expect(await graphql(pipeline.api, PRODUCT, { id: productId, token })).toEqual({
      data: { product: { id: productId, priceCents: 1250, currency: 'EUR', version: 2 } },
    });

    const after = await order();
    expect(await graphql(pipeline.api, ORDER, { id: after.orderId, token: after.token }, customer)).toEqual({
      data: { order: { totalCents: 2500 } },
    });
    // An order placed before keeps the price it was placed at.
    expect(await graphql(pipeline.api, ORDER, { id: before.orderId, token: before.token }, customer)).toEqual({
      data: { order: { totalCents: 2000 } },
    });
  });

  it('is refused to customers and other staff, and to a product not in the catalog, appending nothing', async () => {
    const productId = `p-${randomUUID().slice(0, 8)}`;
    await graphql(
      pipeline.api,
      ADD_PRODUCT,
      { input: { productId, name: 'Cup', priceCents: 500, initialStock: 5 } },
      await asStaff('catalog'),
    );
    const input = { productId, priceCents: 1 };

    const customer = await graphql(pipeline.api, CHANGE_PRICE, { input }, await asCustomer(`c-${randomUUID().slice(0, 8)}`));
    expect(customer).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.FORBIDDEN' } }] });
    const fulfilment = await graphql(pipeline.api, CHANGE_PRICE, { input }, await asStaff('fulfilment'));
    expect(fulfilment).toMatchObject({ data: null, errors: [{ extensions: { code: 'AUTH.FORBIDDEN' } }] });
    expect(await streamVersion(`product-${productId}`)).toBe(1);

    const unknown = `p-${randomUUID().slice(0, 8)}`;
    const notFound = await graphql(
      pipeline.api,
      CHANGE_PRICE,
      { input: { productId: unknown, priceCents: 700 } },
      await asStaff('catalog'),
    );
    expect(notFound).toEqual({ data: { changeProductPrice: { __typename: 'ProductNotFound', code: 'PRODUCT.NOT_FOUND' } } });
    expect(await streamVersion(`product-${unknown}`)).toBe(0);
  });
});
