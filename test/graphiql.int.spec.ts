/** GraphiQL in development, served whole by the API: it must work on a machine without internet. */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { createLogger } from '../src/logger.ts';
import { testFirestore } from './support/firestore.ts';
import { testTokens } from './support/identities.ts';

const db = testFirestore();
afterAll(() => db.terminate());
const deps = {
  store: new FirestoreEventStore(db),
  readModels: new FirestoreReadModels(db),
  logger: createLogger({ level: 'silent' }),
  clock: () => new Date(),
  newId: randomUUID,
  tokens: testTokens(),
};

const askForThePage = (api: ReturnType<typeof createApi>) => api.fetch('http://api/graphql', { headers: { accept: 'text/html' } });

describe('GraphiQL', () => {
  it('is served with its scripts and styles inline, loading nothing from another host', async () => {
    const response = await askForThePage(createApi(deps, { graphiql: true }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain('<title>Eventloom</title>');
    expect(page).toContain('renderYogaGraphiQL');
    // No <script src> or <link href> pointing at a CDN (yoga's default page loads both from unpkg.com).
    expect(page).not.toMatch(/<(script|link)[^>]+(src|href)=["']?https?:/i);
    expect(page).not.toContain('unpkg.com');
  });

  it('is not served when turned off, as in production', async () => {
    const response = await askForThePage(createApi(deps, { graphiql: false }));
    expect(response.headers.get('content-type') ?? '').not.toMatch(/^text\/html/);
  });
});
