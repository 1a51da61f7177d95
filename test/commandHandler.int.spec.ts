import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { decideOnStream, runCommand } from '../src/core/commandHandler.ts';
import { ConcurrencyError, IdempotencyKeyReusedError } from '../src/core/errors.ts';
import type { DomainEvent } from '../src/core/eventStore.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { customerDecider } from '../src/customers/customerDecider.ts';
import { customerStreamId } from '../src/customers/customerEvents.ts';
import { testFirestore } from './support/firestore.ts';

const db = testFirestore();
const store = new FirestoreEventStore(db);
afterAll(() => db.terminate());

/**
 * What the API does per request: the server picks a fresh id each time (as placeOrder does), so a
 * retried request would create a second customer unless the idempotency key stops it.
 */
function registerCustomer(request: { email: string; name: string }, key?: string) {
  const customerId = randomUUID();
  return runCommand({
    store,
    decide: decideOnStream(customerDecider, customerStreamId(customerId), { type: 'RegisterCustomer', customerId, ...request }),
    commandName: 'RegisterCustomer',
    occurredAt: new Date().toISOString(),
    metadata: { correlationId: randomUUID(), causationId: null },
    ...(key ? { idempotency: { key, scope: 'caller-1', request } } : {}),
  });
}

async function registrationsOf(email: string): Promise<number> {
  const events = await db.collectionGroup('events').where('data.email', '==', email).get();
  return events.size;
}

describe('command handler on Firestore', () => {
  it('appends the decided events and returns the new stream version', async () => {
    const result = await registerCustomer({ email: `${randomUUID()}@example.com`, name: 'Ada' });
    expect(result).toMatchObject({ version: 1, replayed: false });
    const stored = await store.readStream(result.streamId);
    expect(stored.map((e) => [e.type, e.metadata.command])).toEqual([['CustomerRegistered', 'RegisterCustomer']]);
  });

  it('with the same idempotency key twice, appends once and returns the first result both times', async () => {
    const email = `${randomUUID()}@example.com`;
    const key = `key-${randomUUID()}`;
    const first = await registerCustomer({ email, name: 'Ada' }, key);
    const second = await registerCustomer({ email, name: 'Ada' }, key);

    expect(second).toEqual({ ...first, replayed: true });
    expect(await registrationsOf(email)).toBe(1);
  });

  it('with the same key sent concurrently, appends once and every caller gets the same result', async () => {
    const email = `${randomUUID()}@example.com`;
    const key = `key-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => registerCustomer({ email, name: 'Ada' }, key)));

    expect(new Set(results.map((r) => r.streamId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await registrationsOf(email)).toBe(1);
  });

  it('rejects the same key with a different request, and writes nothing', async () => {
    const email = `${randomUUID()}@example.com`;
    const key = `key-${randomUUID()}`;
    await registerCustomer({ email, name: 'Ada' }, key);
    await expect(registerCustomer({ email, name: 'Grace' }, key)).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await registrationsOf(email)).toBe(1);
  });
});

describe('a command that keeps losing the race for its stream', () => {
  /** Folds any stream into the number of its events. */
  const counting = { evolve: (n: number) => n + 1, initialState: () => 0 };
  const metadata = { correlationId: 'race', causationId: null };

  /**
   * A command on `streamId` whose every decision is followed, before its append, by another writer's commit
   * to the same stream (the first `rivalries` decisions only, if given).
   */
  function contestedCommand(streamId: string, maxAttempts: number, rivalries = Number.POSITIVE_INFINITY) {
    let decisions = 0;
    const outcome = runCommand({
      store,
      commandName: 'Count',
      occurredAt: new Date().toISOString(),
      metadata,
      maxAttempts,
      decide: async (load) => {
        const { version } = await load.aggregate<number, DomainEvent>(streamId, counting);
        decisions++;
        if (decisions <= rivalries) {
          await store.appendToStreams([
            {
              streamId,
              expectedVersion: 'any',
              events: [{ eventId: randomUUID(), type: 'RivalWrote', data: {}, occurredAt: new Date().toISOString(), metadata }],
            },
          ]);
        }
        return {
          appends: [{ streamId, events: [{ type: 'Counted', data: { after: version } }] }],
          result: { streamId, version: version + 1 },
        };
      },
    });
    return { outcome, decisions: () => decisions };
  }

  it('gives up with ConcurrencyError after maxAttempts decisions, having appended none of its events', async () => {
    const streamId = `race-${randomUUID()}`;
    const command = contestedCommand(streamId, 3);
    const thrown = await command.outcome.then(
      () => null,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(ConcurrencyError);
    // The third decision read the stream at version 2; the rival had reached 3 by its append.
    expect(thrown).toMatchObject({ code: 'CONCURRENCY.CONFLICT', streamId, expectedVersion: 2 });
    expect(command.decisions()).toBe(3);
    expect((await store.readStream(streamId)).map((e) => e.type)).toEqual(['RivalWrote', 'RivalWrote', 'RivalWrote']);
  });

  it('decides again after each lost race, and commits once the rival stops', async () => {
    const streamId = `race-${randomUUID()}`;
    const command = contestedCommand(streamId, 3, 2);
    expect(await command.outcome).toEqual({ streamId, version: 3, replayed: false });
    expect(command.decisions()).toBe(3);
    const stored = await store.readStream(streamId);
    expect(stored.map((e) => [e.type, e.data])).toEqual([
      ['RivalWrote', {}],
      ['RivalWrote', {}],
      ['Counted', { after: 2 }],
    ]);
  });
});
