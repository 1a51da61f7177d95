/**
 * The public integration topic, consumed the way another bounded context would: a subscription of its
 * own, and the published JSON Schemas (schema/integration-events/) with a standard validator, not our
 * zod code.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { Message } from '@google-cloud/pubsub';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asCustomer, asIssuerOf } from './support/identities.ts';
import { graphql, INTEGRATION_EVENTS_TOPIC, startPipeline, type Pipeline } from './support/pipeline.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';

let pipeline: Pipeline;
const received: Array<{ attributes: Record<string, string>; body: { type: string; data: Record<string, unknown> } }> = [];

beforeAll(async () => {
  pipeline = await startPipeline();
  const [subscription] = await pipeline.pubsub
    .topic(INTEGRATION_EVENTS_TOPIC)
    .createSubscription(`consumer-${randomUUID().slice(0, 8)}`, { enableMessageOrdering: true });
  subscription.on('message', (message: Message) => {
    received.push({ attributes: message.attributes, body: JSON.parse(message.data.toString('utf8')) });
    message.ack();
  });
});
afterAll(() => pipeline?.stop());

async function loadPublishedSchemas() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  const dir = new URL('../schema/integration-events/', import.meta.url);
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const file of await readdir(dir)) {
    validators.set(file.replace(/\.json$/, ''), ajv.compile(JSON.parse(await readFile(new URL(file, dir), 'utf8'))));
  }
  return validators;
}

async function mutate(name: string, input: Record<string, unknown>) {
  const { data } = await graphql<Record<string, { __typename: string }>>(
    pipeline.api,
    `mutation ($input: ${name.charAt(0).toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { __typename } }`,
    { input },
    await asIssuerOf(name, input),
  );
  return data?.[name]?.__typename;
}

describe('integration events', () => {
  it('publishes order placed, paid, shipped and cancelled as CloudEvents that validate against the published JSON Schemas', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const place = async () =>
      (
        await graphql<{ placeOrder: { orderId: string } }>(
          pipeline.api,
          PLACE_ORDER,
          { input: orderInput(customerId) },
          await asCustomer(customerId),
        )
      ).data!.placeOrder.orderId;

    const shipped = await place();
    expect(await mutate('confirmOrderPayment', { orderId: shipped, paymentReference: 'psp-1' })).toBe('OrderCommandPayload');
    expect(await mutate('shipOrder', { orderId: shipped })).toBe('OrderCommandPayload');
    const cancelled = await place();
    expect(await mutate('confirmOrderPayment', { orderId: cancelled, paymentReference: 'psp-2' })).toBe('OrderCommandPayload');
    expect(await mutate('cancelOrder', { orderId: cancelled, reason: 'changed my mind' })).toBe('OrderCommandPayload');

    const ours = () => received.filter((m) => m.body.data.customerId === customerId);
    await expect.poll(() => ours().length, { timeout: 20_000, interval: 50 }).toBe(6);

    const validators = await loadPublishedSchemas();
    for (const message of ours()) {
      const validate = validators.get(message.body.type);
      expect(validate, `a published schema for ${message.body.type}`).toBeDefined();
      expect(validate!(message.body), JSON.stringify(validate!.errors)).toBe(true);
      expect(message.attributes['ce-type']).toBe(message.body.type);
    }
    const typesOf = (orderId: string) =>
      ours()
        .filter((m) => m.body.data.orderId === orderId)
        .map((m) => m.body.type);
    expect(typesOf(shipped)).toEqual(['eventloom.shop.order.placed.v1', 'eventloom.shop.order.paid.v1', 'eventloom.shop.order.shipped.v1']);
    expect(typesOf(cancelled)).toEqual([
      'eventloom.shop.order.placed.v1',
      'eventloom.shop.order.paid.v1',
      'eventloom.shop.order.cancelled.v1',
    ]);
    const cancellation = ours().find((m) => m.body.type === 'eventloom.shop.order.cancelled.v1')!;
    expect(cancellation.body.data).toMatchObject({ refundDueCents: 5900, reason: 'changed my mind' });
    // Internal events (stock reservations, registrations) stay internal.
    expect(received.every((m) => m.body.type.startsWith('eventloom.shop.'))).toBe(true);
    expect(received.some((m) => m.body.type.includes('registered') || m.body.type.includes('stock'))).toBe(false);
  });

  it('tells consumers a customer was forgotten, so they can erase what they keep (payment references)', async () => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    await setUpShop(pipeline.api, [customerId]);
    const { data, errors } = await graphql<{ forgetCustomer: { version: number } }>(
      pipeline.api,
      'mutation ($id: ID!) { forgetCustomer(customerId: $id) { ... on ForgetCustomerPayload { version } } }',
      { id: customerId },
      await asCustomer(customerId),
    );
    expect(errors).toBeUndefined();
    expect(data?.forgetCustomer.version).toBeGreaterThan(1);

    const forgotten = () =>
      received.filter((m) => m.body.type === 'eventloom.shop.customer.forgotten.v1' && m.body.data.customerId === customerId);
    await expect.poll(() => forgotten().length, { timeout: 20_000, interval: 50 }).toBe(1);
    const [message] = forgotten();
    const validate = (await loadPublishedSchemas()).get('eventloom.shop.customer.forgotten.v1');
    expect(validate!(message!.body), JSON.stringify(validate!.errors)).toBe(true);
    expect(message!.body).toMatchObject({ subject: customerId, data: { customerId } });
    // Nothing personal: only the pseudonymous id and the time.
    expect(Object.keys(message!.body.data).sort()).toEqual(['customerId', 'forgottenAt']);
  });

  it('a consumer rejects a message that breaks the contract', async () => {
    const validate = (await loadPublishedSchemas()).get('eventloom.shop.order.placed.v1')!;
    const valid = {
      specversion: '1.0',
      id: 'e1',
      source: '//eventloom/shop',
      type: 'eventloom.shop.order.placed.v1',
      subject: 'o1',
      time: '2026-11-29T15:00:00.000Z',
      datacontenttype: 'application/json',
      data: {
        orderId: 'o1',
        customerId: 'c1',
        lines: [{ productId: 'p', quantity: 1, unitPriceCents: 100 }],
        totalCents: 100,
        placedAt: '2026-11-29T15:00:00.000Z',
      },
    };
    expect(validate(valid)).toBe(true);
    expect(validate({ ...valid, data: { ...valid.data, totalCents: '100' } })).toBe(false);
    expect(validate({ ...valid, data: { ...valid.data, internalNote: 'x' } })).toBe(false);
  });
});
