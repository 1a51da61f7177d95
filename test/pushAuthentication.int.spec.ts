/**
 * The push endpoints with push authentication required, reached as Pub/Sub reaches them (an HTTP POST of
 * the push envelope to functions-framework's server) with a test key pair in place of Google's
 * certificates, and the event store, views and dead letters on the Firestore emulator. A refused push
 * writes nothing and is logged with its reason, never with its token.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProjectorHandler } from '../functions/projectorHandler.ts';
import { readModelOfDeadLetterSubscription } from '../functions/projectors.ts';
import { createDeadLetterHandler } from '../functions/storeDeadLetter.ts';
import type { EventEnvelope } from '../src/core/eventStore.ts';
import { FirestoreDeadLetters } from '../src/firestore/firestoreDeadLetters.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { inventoryCountProjection, type InventoryCount } from '../src/projections/inventoryCount.ts';
import { toEventMessage } from '../src/pubsub/eventMessage.ts';
import { GooglePushAuthenticator } from '../src/pubsub/pushAuthentication.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { PUSHER, tokenIssuer } from './support/pushTokens.ts';
import { productAdded, T0 } from './support/shopFixtures.ts';

const projectId = uniqueProjectId('push-auth');
const db = testFirestore(projectId);
const store = new FirestoreEventStore(db);
const readModels = new FirestoreReadModels(db);
const deadLetters = new FirestoreDeadLetters(db);

const google = tokenIssuer();
const logLines: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) });
// The audience is left to its default, each endpoint's own URL, as the deploy plan leaves it.
const pushAuthenticator = new GooglePushAuthenticator({ serviceAccount: PUSHER, audience: null, certificates: google.certificates });

http(
  'projectInventoryCountWithPushAuth',
  createProjectorHandler(inventoryCountProjection, () => ({
    projector: new FirestoreProjector(db, store, shopEvents),
    logger,
    pushAuthenticator,
  })),
);
http(
  'storeDeadLetterWithPushAuth',
  createDeadLetterHandler(() => ({ deadLetters, logger, readModelOf: readModelOfDeadLetterSubscription, pushAuthenticator })),
);

const servers: Server[] = [];
let projectorUrl: string;
let sinkUrl: string;

async function serve(name: string): Promise<string> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

beforeAll(async () => {
  projectorUrl = await serve('projectInventoryCountWithPushAuth');
  sinkUrl = await serve('storeDeadLetterWithPushAuth');
});
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await db.terminate();
});
beforeEach(() => {
  logLines.length = 0;
});

async function productStream(): Promise<{ productId: string; event: EventEnvelope }> {
  const productId = `p-${randomUUID()}`;
  const added = shopEvents.stamp({
    eventId: randomUUID(),
    ...productAdded(productId, 2500, 10),
    occurredAt: T0,
    metadata: { correlationId: randomUUID(), causationId: null },
  });
  const { events } = await store.appendToStreams([{ streamId: `product-${productId}`, expectedVersion: 0, events: [added] }]);
  return { productId, event: events[0]! };
}

function pushBody(event: EventEnvelope, subscription: string) {
  const message = toEventMessage(event);
  return {
    subscription: `projects/${projectId}/subscriptions/${subscription}`,
    message: {
      data: message.data.toString('base64'),
      attributes: message.attributes,
      messageId: randomUUID(),
      publishTime: new Date().toISOString(),
    },
  };
}

function post(url: string, body: unknown, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
}

const refusals = () =>
  logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'refused a push delivery');

describe('a projector with push authentication required', () => {
  const pushTo = async (authorization: string | undefined) => {
    const { productId, event } = await productStream();
    const response = await post(projectorUrl, pushBody(event, 'projector-inventory-count'), authorization);
    return { response, productId };
  };

  it.each([
    { push: '(a) without an Authorization header', authorization: async () => undefined, status: 401, reason: /No Authorization header/ },
    { push: '(b) with a garbage token', authorization: async () => 'Bearer not-a-jwt', status: 401, reason: /Wrong number of segments/ },
    {
      push: '(c) with a token signed by a key Google does not have',
      authorization: async () => `Bearer ${await tokenIssuer('unknown-key').sign({ aud: projectorUrl })}`,
      status: 401,
      reason: /No pem found/,
    },
    {
      push: '(d) with an expired token',
      authorization: async () => `Bearer ${await google.sign({ aud: projectorUrl, issuedIn: -7200, expiresIn: -3600 })}`,
      status: 401,
      reason: /Token used too late/,
    },
    {
      push: '(e) with a token for another audience',
      authorization: async () => `Bearer ${await google.sign({ aud: 'https://projectorderdetails-x7k2-ew.a.run.app/' })}`,
      status: 403,
      reason: /not http:\/\/127\.0\.0\.1/,
    },
    {
      push: '(f) with a token of another account',
      authorization: async () =>
        `Bearer ${await google.sign({ aud: projectorUrl, email: 'eventloom-api@acme-shop.iam.gserviceaccount.com' })}`,
      status: 403,
      reason: /not of the push service account/,
    },
  ])('refuses a push $push with $status, applies nothing and logs why', async ({ authorization, status, reason }) => {
    const header = await authorization();
    const { response, productId } = await pushTo(header);

    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: { code: status === 401 ? 'PUSH.UNAUTHENTICATED' : 'PUSH.FORBIDDEN' } });
    if (status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await readModels.get(inventoryCountProjection, productId)).toBeNull();

    const [refusal, ...more] = refusals();
    expect(more).toEqual([]);
    expect(refusal).toMatchObject({
      level: 40,
      projection: 'inventoryCount',
      code: status === 401 ? 'PUSH.UNAUTHENTICATED' : 'PUSH.FORBIDDEN',
    });
    expect(refusal?.reason).toMatch(reason);
    const token = header?.replace(/^Bearer /, '');
    if (token) expect(logLines.join('\n')).not.toContain(token);
  });

  it('(g) applies an event pushed with a genuine token of the push service account for its URL', async () => {
    const { response, productId } = await pushTo(`Bearer ${await google.sign({ aud: projectorUrl })}`);

    expect(response.status).toBe(204);
    expect(await readModels.get<InventoryCount>(inventoryCountProjection, productId)).toMatchObject({
      onHand: 10,
      available: 10,
      version: 1,
    });
    expect(refusals()).toEqual([]);
  });
});

describe('the dead-letter sink with push authentication required', () => {
  const deadLetterPush = async (authorization: string | undefined) => {
    const { event } = await productStream();
    const body = pushBody(event, 'projector-inventory-count-dead-letters');
    const response = await post(sinkUrl, body, authorization);
    return { response, id: body.message.messageId };
  };

  it('keeps nothing pushed without a genuine token of the push service account', async () => {
    const unauthenticated = await deadLetterPush(undefined);
    expect(unauthenticated.response.status).toBe(401);
    const otherAccount = await deadLetterPush(`Bearer ${await google.sign({ aud: sinkUrl, email: 'someone@evil.example' })}`);
    expect(otherAccount.response.status).toBe(403);

    expect(await deadLetters.get(unauthenticated.id)).toBeNull();
    expect(await deadLetters.get(otherAccount.id)).toBeNull();
    expect(refusals()).toEqual([
      expect.objectContaining({ function: 'storeDeadLetter', code: 'PUSH.UNAUTHENTICATED' }),
      expect.objectContaining({ function: 'storeDeadLetter', code: 'PUSH.FORBIDDEN' }),
    ]);
  });

  it('keeps a dead letter pushed with one', async () => {
    const { response, id } = await deadLetterPush(`Bearer ${await google.sign({ aud: sinkUrl })}`);
    expect(response.status).toBe(204);
    expect(await deadLetters.get(id)).toMatchObject({ readModel: 'inventoryCount', status: 'PENDING' });
  });
});
