/**
 * Dead letters on the Firestore emulator: recorded once however often Pub/Sub delivers them, and listed a
 * page at a time, by the store and through the admin GraphQL API. (deadLetters.e2e.spec.ts follows a
 * poison event through the whole pipeline.)
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub } from '@google-cloud/pubsub';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelOfDeadLetterSubscription } from '../functions/projectors.ts';
import { createDeadLetterHandler } from '../functions/storeDeadLetter.ts';
import { firestoreApiDeps } from '../src/apiDeps.ts';
import type { DeadLetter, NewDeadLetter } from '../src/core/deadLetters.ts';
import { DEAD_LETTERS, FirestoreDeadLetterQueue } from '../src/firestore/firestoreDeadLetters.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { projections } from '../src/projections/all.ts';
import { toEventMessage } from '../src/pubsub/eventMessage.ts';
import { acceptUnauthenticatedPushes } from '../src/pubsub/pushAuthentication.ts';
import { deadLetterSinkSubscriptionName, pushSubscriptionName } from '../src/pubsub/topology.ts';
import { envelope } from './support/envelopes.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { asStaff, testTokens } from './support/identities.ts';
import { graphql } from './support/pipeline.ts';
import { productAdded } from './support/shopFixtures.ts';

const projectId = uniqueProjectId('dead-letters');
const db = testFirestore(projectId);
const pubsub = new PubSub({ projectId });
const deadLetters = new FirestoreDeadLetterQueue(db, {
  redriveTopic: pubsub.topic('eventloom-domain-events'),
  projector: new FirestoreProjector(db, new FirestoreEventStore(db)),
  projections,
});
const logger = pino({ level: 'silent' });

http(
  'storeDeadLetterUnderTest',
  createDeadLetterHandler(() => ({
    deadLetters,
    logger,
    readModelOf: readModelOfDeadLetterSubscription,
    pushAuthenticator: acceptUnauthenticatedPushes,
  })),
);
let sink: Server;
let sinkUrl: string;
beforeAll(async () => {
  sink = getTestServer('storeDeadLetterUnderTest');
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => sink.close(resolve));
  await pubsub.close();
  await db.terminate();
});

/** A dead letter of `readModel` as the sink records it, for a product's first event. */
function deadLetterOf(readModel: string, id = `dl-${randomUUID()}`): NewDeadLetter {
  const productId = `p-${randomUUID().slice(0, 8)}`;
  const event = envelope(`product-${productId}`, 1, productAdded(productId, 1000, 10));
  const message = toEventMessage(event);
  return {
    id,
    readModel,
    data: message.data.toString('base64'),
    attributes: message.attributes,
    event,
    deliveryAttempts: 5,
    deadLetteredAt: '2026-11-29T15:00:00.000Z',
  };
}

/** Every dead letter, as stored. */
async function stored(): Promise<Map<string, DeadLetter>> {
  const snapshot = await db.collection(DEAD_LETTERS).get();
  return new Map(snapshot.docs.map((d) => [d.id, d.data() as DeadLetter]));
}

describe('recording a dead letter', () => {
  it('keeps the first delivery: a second one, sequential or concurrent, records nothing more', async () => {
    const first = deadLetterOf('inventoryCount');
    await deadLetters.record(first);
    await deadLetters.record({ ...first, deliveryAttempts: 6, deadLetteredAt: '2026-11-29T15:01:00.000Z' });
    expect(await deadLetters.get(first.id)).toEqual({ ...first, status: 'PENDING', resolvedAt: null, resolvedBy: null });

    const raced = deadLetterOf('inventoryCount');
    await Promise.all([deadLetters.record(raced), deadLetters.record(raced), deadLetters.record(raced)]);
    expect(await deadLetters.get(raced.id)).toEqual({ ...raced, status: 'PENDING', resolvedAt: null, resolvedBy: null });
    expect([...(await stored()).keys()].filter((id) => id === first.id || id === raced.id).sort()).toEqual([first.id, raced.id].sort());
  });

  it('does not reopen a dead letter an operator resolved when Pub/Sub delivers it again', async () => {
    const deadLetter = deadLetterOf('inventoryCount');
    await deadLetters.record(deadLetter);
    const skipped = await deadLetters.skip(deadLetter.id, 'ops:test');
    expect(skipped).toMatchObject({ status: 'SKIPPED', resolvedBy: 'ops:test' });

    await deadLetters.record(deadLetter);
    expect(await deadLetters.get(deadLetter.id)).toEqual(skipped);
  });

  it('through the sink function: the same push delivered twice is answered 204 both times and recorded once', async () => {
    const deadLetter = deadLetterOf('customerOrderHistory');
    const subscription = deadLetterSinkSubscriptionName(pushSubscriptionName('projectCustomerOrderHistory'));
    const push = {
      subscription: `projects/${projectId}/subscriptions/${subscription}`,
      message: {
        data: deadLetter.data,
        attributes: { ...deadLetter.attributes, CloudPubSubDeadLetterSourceDeliveryCount: '5' },
        messageId: deadLetter.id,
        publishTime: deadLetter.deadLetteredAt,
      },
    };
    const deliver = () => fetch(sinkUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(push) });

    expect((await deliver()).status).toBe(204);
    const recorded = await deadLetters.get(deadLetter.id);
    expect(recorded).toEqual({
      ...deadLetter,
      attributes: push.message.attributes,
      status: 'PENDING',
      resolvedAt: null,
      resolvedBy: null,
    });
    expect((await deliver()).status).toBe(204);
    expect(await deadLetters.get(deadLetter.id)).toEqual(recorded);
    expect([...(await stored()).values()].filter((d) => d.event?.eventId === deadLetter.event!.eventId)).toHaveLength(1);
  });
});

describe('listing dead letters a page at a time', () => {
  // Their own read model names, so that the other tests' dead letters are not in these lists.
  const readModel = `pagedModel-${randomUUID().slice(0, 8)}`;
  const otherModel = `otherModel-${randomUUID().slice(0, 8)}`;
  const ids = Array.from({ length: 7 }, (_, i) => `page-${readModel}-${i}`);
  beforeAll(async () => {
    // Recorded out of order: pages are in id order whatever the order of arrival.
    for (const id of [...ids].reverse()) await deadLetters.record(deadLetterOf(readModel, id));
    await deadLetters.record(deadLetterOf(otherModel, `page-${readModel}-3a`));
    await deadLetters.skip(ids[4]!, 'ops:test');
  });

  it('by the store: every dead letter once, in id order, with a cursor until the last page', async () => {
    const pages: Array<{ ids: string[]; endCursor: string | null }> = [];
    let after: string | null = null;
    do {
      const page = await deadLetters.list({ readModel, first: 2, after });
      pages.push({ ids: page.deadLetters.map((d) => d.id), endCursor: page.endCursor });
      after = page.endCursor;
    } while (after !== null && pages.length < 10);
    expect(pages).toEqual([
      { ids: [ids[0], ids[1]], endCursor: ids[1] },
      { ids: [ids[2], ids[3]], endCursor: ids[3] },
      { ids: [ids[4], ids[5]], endCursor: ids[5] },
      { ids: [ids[6]], endCursor: null },
    ]);

    // Filtered by status too: the skipped one is left out, and the pages close up around it.
    const pending = await deadLetters.list({ readModel, status: 'PENDING', first: 3 });
    expect(pending).toEqual({ deadLetters: [ids[0], ids[1], ids[2]].map((id) => expect.objectContaining({ id })), endCursor: ids[2] });
    const rest = await deadLetters.list({ readModel, status: 'PENDING', first: 3, after: pending.endCursor });
    expect(rest).toEqual({ deadLetters: [ids[3], ids[5], ids[6]].map((id) => expect.objectContaining({ id })), endCursor: null });
  });

  it('through the admin API: pages with pageInfo and cursors that lead to the next page', async () => {
    const api = createApi(
      firestoreApiDeps({
        db,
        readModels: new FirestoreReadModels(db),
        logger,
        domainEventsTopic: pubsub.topic('unused-redrive-topic', { messageOrdering: true }),
        projections,
        tokens: testTokens(),
      }),
    );
    const PAGE = /* GraphQL */ `
      query ($readModel: String, $first: Int, $after: String) {
        deadLetters(readModel: $readModel, status: PENDING, first: $first, after: $after) {
          edges { cursor node { id readModel status streamId version eventType } }
          pageInfo { hasNextPage hasPreviousPage endCursor }
        }
      }
    `;
    type Page = {
      deadLetters: {
        edges: Array<{
          cursor: string;
          node: { id: string; readModel: string; status: string; streamId: string; version: number; eventType: string };
        }>;
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
      };
    };
    const operator = await asStaff('operator');
    const pages: Page['deadLetters'][] = [];
    let after: string | null = null;
    do {
      const response: { data?: Page; errors?: unknown } = await graphql<Page>(api, PAGE, { readModel, first: 3, after }, operator);
      expect(response.errors).toBeUndefined();
      const page = response.data!.deadLetters;
      pages.push(page);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after !== null && pages.length < 10);

    expect(pages.map((p) => p.edges.map((e) => e.node.id))).toEqual([
      [ids[0], ids[1], ids[2]],
      [ids[3], ids[5], ids[6]],
    ]);
    expect(pages.map((p) => ({ hasNextPage: p.pageInfo.hasNextPage, hasPreviousPage: p.pageInfo.hasPreviousPage }))).toEqual([
      { hasNextPage: true, hasPreviousPage: false },
      { hasNextPage: false, hasPreviousPage: true },
    ]);
    expect(pages[0]!.pageInfo.endCursor).toBe(pages[0]!.edges.at(-1)!.cursor);
    expect(pages[0]!.edges[0]!.node).toMatchObject({ readModel, status: 'PENDING', version: 1, eventType: 'ProductAdded' });
  });
});
