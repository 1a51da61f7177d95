/**
 * The proof that forgetting a customer leaves nothing personal behind, on the real pipeline (API, outbox
 * relay, Pub/Sub, projector functions) and the Firestore emulator: a customer registers, places and pays
 * orders, is forgotten; then every document of the emulator project (every collection, recursively) is
 * read and none holds their name, email or payment references in clear text, neither right away nor after
 * every read model has been rebuilt from the event store. A customer whose events were written in clear text,
 * before encryption existed, is forgotten just as completely; and readers of every kind keep working.
 */
import { randomUUID } from 'node:crypto';
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ERASED } from '../src/core/personalData.ts';
import { customerStreamId } from '../src/customers/customerEvents.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { rebuildProjection } from '../src/firestore/projectionRebuild.ts';
import { orderStreamId } from '../src/orders/orderEvents.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { orderDetailsProjection } from '../src/projections/orderDetails.ts';
import { projections } from '../src/projections/all.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { committer } from './support/commits.ts';
import { asCustomer, asStaff } from './support/identities.ts';
import { orderInput, PLACE_ORDER, setUpShop } from './support/orders.ts';
import { testPersonalData } from './support/personalData.ts';
import { graphql, startPipeline, type Pipeline } from './support/pipeline.ts';
import { viewsOf } from '../src/firestore/readModelLayout.ts';

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline();
}, 60_000);
afterAll(() => pipeline?.stop());

const FORGET = /* GraphQL */ `
  mutation ($id: ID!) {
    forgetCustomer(customerId: $id) {
      __typename
      ... on ForgetCustomerPayload {
        customerId streamId version replayed
        erasure { clearTextEventsRedacted readModelDocumentsRedacted snapshotsRedacted deadLettersRedacted idempotencyRecordsDeleted outboxRecordsRedacted }
      }
      ... on Error { code message }
    }
  }
`;
const CONFIRM_PAYMENT = /* GraphQL */ `
  mutation ($input: ConfirmOrderPaymentInput!) {
    confirmOrderPayment(input: $input) { __typename ... on Error { code message } }
  }
`;
const CUSTOMER = 'query ($id: ID!) { customerOrders(customerId: $id) { name email orderCount } }';
const HISTORY = 'query ($stream: String!) { streamHistory(streamId: $stream, first: 20) { edges { node { type data } } } }';

/** A person with values nobody else in the project has, so finding one anywhere is finding them. */
function person() {
  const tag = randomUUID().slice(0, 8);
  return {
    customerId: `forget-${tag}`,
    name: `Ada Forgettable ${tag}`,
    email: `ada.${tag}@forget.example`,
    payments: [`PSP-${tag}-1`, `PSP-${tag}-2`],
  };
}
type Person = ReturnType<typeof person>;
const secretsOf = (p: Person) => [p.name, p.email, ...p.payments];

/**
 * Every document of the project, every collection and subcollection (`listDocuments` also names documents
 * that only hold subcollections, such as `streams/{id}`): the path of each one holding one of the secrets,
 * as text or inside a base64 string (a Pub/Sub message body kept in a dead letter, say).
 */
async function documentsHolding(
  db: Firestore,
  secrets: readonly string[],
): Promise<{ scanned: number; collections: Set<string>; found: string[] }> {
  let scanned = 0;
  const found: string[] = [];
  const collections = new Set<string>();
  const visit = async (refs: DocumentReference[]) => {
    const snapshots = refs.length > 0 ? await db.getAll(...refs) : [];
    for (const snapshot of snapshots) {
      if (snapshot.exists) {
        scanned++;
        const texts = textsOf(snapshot.data());
        const hits = secrets.filter((secret) => texts.some((text) => text.includes(secret)));
        if (hits.length > 0) found.push(`${snapshot.ref.path}: ${hits.join(', ')}`);
      }
      for (const sub of await snapshot.ref.listCollections()) {
        collections.add(sub.path);
        await visit(await sub.listDocuments());
      }
    }
  };
  for (const collection of await db.listCollections()) {
    collections.add(collection.path);
    await visit(await collection.listDocuments());
  }
  return { scanned, collections, found };
}

function textsOf(value: unknown): string[] {
  if (typeof value === 'string') {
    const decoded = /^[A-Za-z0-9+/]{16,}={0,2}$/.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
    return [value, decoded];
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return [Buffer.from(value).toString('utf8')];
  if (Array.isArray(value)) return value.flatMap(textsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(textsOf);
  return [];
}

/** A view from the read model's active target (a rebuild switches it to a new generation). */
async function readModel(projection: { name: string; version: number }, id: string) {
  const target = await new FirestoreProjector(pipeline.db, pipeline.store).activeTarget(projection);
  return (await viewsOf(pipeline.db, target).doc(id).get()).data();
}

/** Registers, places two orders and pays both, through the API, and waits until the read models show it all. */
async function shopAs(p: Person): Promise<string[]> {
  await graphql(
    pipeline.api,
    'mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename } }',
    { input: { customerId: p.customerId, name: p.name, email: p.email, idempotencyKey: `register-${p.customerId}` } },
    await asCustomer(p.customerId),
  );
  const orderIds: string[] = [];
  for (const [i, paymentReference] of p.payments.entries()) {
    const { data } = await graphql<{ placeOrder: { orderId: string } }>(
      pipeline.api,
      PLACE_ORDER,
      { input: orderInput(p.customerId, { idempotencyKey: `order-${p.customerId}-${i}` }) },
      await asCustomer(p.customerId),
    );
    const orderId = data!.placeOrder.orderId;
    orderIds.push(orderId);
    const paid = await graphql(
      pipeline.api,
      CONFIRM_PAYMENT,
      { input: { orderId, paymentReference, idempotencyKey: `pay-${orderId}` } },
      await asStaff('fulfilment'),
    );
    expect(paid.data).toEqual({ confirmOrderPayment: { __typename: 'OrderCommandPayload' } });
  }
  await waitForReadModels(p, orderIds, { name: p.name, paymentReferences: p.payments });
  return orderIds;
}

async function waitForReadModels(p: Person, orderIds: readonly string[], expected: { name: string; paymentReferences: readonly string[] }) {
  await vi.waitFor(
    async () => {
      const history = await readModel(customerOrderHistoryProjection, p.customerId);
      const details = await Promise.all(orderIds.map((id) => readModel(orderDetailsProjection, id)));
      expect({ name: history?.name, orders: history?.orderCount, payments: details.map((d) => d?.paymentReference) }).toEqual({
        name: expected.name,
        orders: orderIds.length,
        payments: expected.paymentReferences,
      });
    },
    { timeout: 30_000, interval: 200 },
  );
}

async function forget(customerId: string, as: Record<string, string>) {
  const { data, errors } = await graphql<{ forgetCustomer: Record<string, unknown> }>(pipeline.api, FORGET, { id: customerId }, as);
  expect(errors).toBeUndefined();
  return data!.forgetCustomer;
}

async function rebuildEveryReadModel(): Promise<void> {
  // A projector as a fresh process has it: no key in any cache.
  const projector = new FirestoreProjector(pipeline.db, pipeline.store, shopEvents, testPersonalData(pipeline.db).protection);
  for (const projection of projections) {
    const result = await rebuildProjection({ db: pipeline.db, projector, projection, mode: 'rebuild' });
    expect(result.completed).toBe(true);
  }
}

describe('forgetting a customer', () => {
  it('leaves none of their personal data in any document, before or after rebuilding every read model', async () => {
    await setUpShop(pipeline.api, []);
    const ada = person();
    const orderIds = await shopAs(ada);

    // Sealed where it is stored: the events and outbox records hold no clear text even before forgetting;
    // the read models (and nothing else) do, which also shows the scan finds what is there.
    const before = await documentsHolding(pipeline.db, secretsOf(ada));
    expect(before.found.length).toBeGreaterThan(0);
    expect(
      before.found.every((path) => /^readModels\/(customerOrderHistory|orderDetails)-v\d+(-g\d+)?\/views\//.test(path)),
      before.found.join('\n'),
    ).toBe(true);
    // ...and every reader still sees clear text: the customer, and the audit trail.
    const seen = await graphql(pipeline.api, CUSTOMER, { id: ada.customerId }, await asCustomer(ada.customerId));
    expect(seen.data).toEqual({ customerOrders: { name: ada.name, email: ada.email, orderCount: 2 } });

    // A view left at the root by a version that kept read-model targets there (an upgraded project may still
    // hold them until it deletes them): forgetting purges it too.
    const legacyView = pipeline.db.collection('customerOrderHistory-v1').doc(ada.customerId);
    await legacyView.set({ customerId: ada.customerId, name: ada.name, email: ada.email });

    const forgotten = await forget(ada.customerId, await asCustomer(ada.customerId));
    expect(forgotten).toMatchObject({ __typename: 'ForgetCustomerPayload', customerId: ada.customerId, replayed: false, version: 2 });
    expect(forgotten.erasure).toMatchObject({ clearTextEventsRedacted: 0, idempotencyRecordsDeleted: 3 });

    // The projectors apply CustomerForgotten; then nothing anywhere holds the customer's data.
    await vi.waitFor(async () => expect((await readModel(customerOrderHistoryProjection, ada.customerId))?.name).toBe(ERASED), {
      timeout: 20_000,
      interval: 200,
    });
    const after = await documentsHolding(pipeline.db, secretsOf(ada));
    expect(after.found).toEqual([]);
    expect((await legacyView.get()).data()).toEqual({ customerId: ada.customerId, name: ERASED, email: ERASED });
    // The scan did reach the customer's events (each its own outbox entry), keys and the rest.
    expect([...after.collections]).toEqual(
      expect.arrayContaining([
        `streams/${customerStreamId(ada.customerId)}/events`,
        ...orderIds.map((id) => `streams/${orderStreamId(id)}/events`),
        'dataKeys',
        'idempotencyKeys',
        'readModels/customerOrderHistory-v1/views',
        'readModels/orderDetails-v1/views',
        'customerOrderHistory-v1',
      ]),
    );

    await rebuildEveryReadModel();
    const rebuilt = await documentsHolding(pipeline.db, secretsOf(ada));
    expect(rebuilt.found).toEqual([]);
    // The rebuilt read models say `[erased]` where the data was, and keep everything else.
    await waitForReadModels(ada, orderIds, { name: ERASED, paymentReferences: [ERASED, ERASED] });

    // Every reader keeps working and sees `[erased]`: the audit trail (time travel reads the same way)...
    const history = await graphql<{ streamHistory: { edges: Array<{ node: { type: string; data: Record<string, unknown> } }> } }>(
      pipeline.api,
      HISTORY,
      { stream: customerStreamId(ada.customerId) },
      await asStaff('operator'),
    );
    expect(history.data!.streamHistory.edges.map((e) => e.node)).toEqual([
      { type: 'CustomerRegistered', data: { customerId: ada.customerId, name: ERASED, email: ERASED } },
      { type: 'CustomerForgotten', data: { customerId: ada.customerId, forgottenAt: expect.any(String) } },
    ]);
    const payment = await graphql<{ streamHistory: { edges: Array<{ node: { type: string; data: Record<string, unknown> } }> } }>(
      pipeline.api,
      HISTORY,
      { stream: orderStreamId(orderIds[0]!) },
      await asStaff('operator'),
    );
    expect(payment.data!.streamHistory.edges.find((e) => e.node.type === 'OrderPaymentConfirmed')?.node.data).toMatchObject({
      paymentReference: ERASED,
    });
    // ...the deciders: the order can still be shipped, and a forgotten customer can neither order nor register again.
    const shipped = await graphql(
      pipeline.api,
      'mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { __typename } }',
      { input: { orderId: orderIds[0] } },
      await asStaff('fulfilment'),
    );
    expect(shipped.data).toEqual({ shipOrder: { __typename: 'OrderCommandPayload' } });
    const again = await graphql<{ placeOrder: { __typename: string } }>(
      pipeline.api,
      PLACE_ORDER,
      { input: orderInput(ada.customerId) },
      await asCustomer(ada.customerId),
    );
    expect(again.data?.placeOrder.__typename).toBe('CustomerNotFound');

    // Forgetting again records nothing new and purges again.
    expect(await forget(ada.customerId, await asStaff('operator'))).toMatchObject({ replayed: true, version: 2 });
  }, 180_000);

  it('forgets a customer whose events were written in clear text before encryption, as completely', async () => {
    await setUpShop(pipeline.api, []);
    const grace = person();
    const orderId = `legacy-${randomUUID().slice(0, 8)}`;
    // As the write side stored them before this change: clear text, straight into the plain store.
    const commit = committer(pipeline.store);
    await commit(customerStreamId(grace.customerId), [
      { type: 'CustomerRegistered', data: { customerId: grace.customerId, name: grace.name, email: grace.email } },
    ]);
    const placedAt = new Date().toISOString();
    const lines = [{ productId: 'sku-kettle', productName: 'Kettle', quantity: 1, unitPriceCents: 2500 }];
    await commit(orderStreamId(orderId), [
      { type: 'OrderPlaced', data: { orderId, customerId: grace.customerId, lines, totalCents: 2500, placedAt, reservedIn: [] } },
    ]);
    await commit(orderStreamId(orderId), [
      {
        type: 'OrderPaymentConfirmed',
        data: {
          orderId,
          customerId: grace.customerId,
          paymentReference: grace.payments[0]!,
          amountCents: 2500,
          placedAt,
          paidAt: placedAt,
        },
      },
    ]);
    await waitForReadModels({ ...grace, payments: [grace.payments[0]!] }, [orderId], {
      name: grace.name,
      paymentReferences: [grace.payments[0]!],
    });
    // Readers see the clear-text events as they always did.
    const seen = await graphql(pipeline.api, CUSTOMER, { id: grace.customerId }, await asCustomer(grace.customerId));
    expect(seen.data).toEqual({ customerOrders: { name: grace.name, email: grace.email, orderCount: 1 } });

    const forgotten = await forget(grace.customerId, await asStaff('operator'));
    // Both clear-text events rewritten; each event document is its own outbox entry, so no separate outbox
    // record carried a copy.
    expect(forgotten.erasure).toMatchObject({ clearTextEventsRedacted: 2, outboxRecordsRedacted: 0 });
    await vi.waitFor(async () => expect((await readModel(customerOrderHistoryProjection, grace.customerId))?.name).toBe(ERASED), {
      timeout: 20_000,
      interval: 200,
    });
    expect((await documentsHolding(pipeline.db, secretsOf(grace))).found).toEqual([]);
    await rebuildEveryReadModel();
    expect((await documentsHolding(pipeline.db, secretsOf(grace))).found).toEqual([]);
  }, 180_000);
});
