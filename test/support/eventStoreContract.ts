/**
 * The event store contract: every adapter runs this same suite (in-memory in unit tests, Firestore
 * on the emulator), so the in-memory store can stand in for Firestore in unit tests only because
 * it is proven to behave the same.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/core/errors.ts';
import type { EventStore, ExpectedVersion, NewEvent } from '../../src/core/eventStore.ts';
import { loadAggregate } from '../../src/core/snapshots.ts';

const metadata = { correlationId: 'corr-1', causationId: null, actor: 'tester' };

function event(type: string, data: object = {}): NewEvent {
  return { eventId: randomUUID(), type, data, occurredAt: '2026-11-29T12:00:00.000Z', metadata };
}

/** One stream's append, the single-stream case of `appendToStreams`. */
function onStream(streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[]) {
  return [{ streamId, expectedVersion, events }];
}

export function eventStoreContract(adapter: string, makeStore: () => EventStore): void {
  describe(`EventStore contract: ${adapter}`, () => {
    const streamId = () => `test-${randomUUID()}`;

    it('appends to a new stream and reads the events back as envelopes, in order', async () => {
      const store = makeStore();
      const id = streamId();
      const first = event('Opened', { n: 1 });
      const second = event('Renamed', { name: 'x' });
      const result = await store.appendToStreams(onStream(id, 0, [first, second]));

      expect(result.streams).toEqual([{ streamId: id, nextExpectedVersion: 2 }]);
      const read = await store.readStream(id);
      expect(read).toEqual([
        {
          eventId: first.eventId,
          streamId: id,
          version: 1,
          type: 'Opened',
          schemaVersion: 1,
          data: { n: 1 },
          occurredAt: '2026-11-29T12:00:00.000Z',
          metadata,
        },
        expect.objectContaining({ eventId: second.eventId, version: 2, type: 'Renamed', data: { name: 'x' } }),
      ]);
    });

    it('reads an unknown stream as empty', async () => {
      expect(await makeStore().readStream(streamId())).toEqual([]);
    });

    it('reads a version range', async () => {
      const store = makeStore();
      const id = streamId();
      await store.appendToStreams(onStream(id, 0, [event('A'), event('B'), event('C'), event('D')]));
      const range = await store.readStream(id, { fromVersion: 2, toVersion: 3 });
      expect(range.map((e) => [e.version, e.type])).toEqual([
        [2, 'B'],
        [3, 'C'],
      ]);
    });

    it('appends at the expected version and rejects a stale expected version with ConcurrencyError', async () => {
      const store = makeStore();
      const id = streamId();
      await store.appendToStreams(onStream(id, 0, [event('A')]));
      await store.appendToStreams(onStream(id, 1, [event('B')]));

      await expect(store.appendToStreams(onStream(id, 1, [event('Stale')]))).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.appendToStreams(onStream(id, 0, [event('Stale')]))).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(id)).map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('rejects an expected version the stream never reached, leaving no gap', async () => {
      const store = makeStore();
      const id = streamId();
      await store.appendToStreams(onStream(id, 0, [event('A')]));
      await expect(store.appendToStreams(onStream(id, 5, [event('Ahead')]))).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(id)).map((e) => e.version)).toEqual([1]);
    });

    it("appends with 'any' after whatever is there", async () => {
      const store = makeStore();
      const id = streamId();
      await store.appendToStreams(onStream(id, 'any', [event('A')]));
      await store.appendToStreams(onStream(id, 'any', [event('B')]));
      expect((await store.readStream(id)).map((e) => [e.version, e.type])).toEqual([
        [1, 'A'],
        [2, 'B'],
      ]);
    });

    it('lets exactly one of many concurrent writers at the same version win; no event is lost or duplicated', async () => {
      const store = makeStore();
      const id = streamId();
      await store.appendToStreams(onStream(id, 0, [event('Opened')]));
      const writers = Array.from({ length: 10 }, (_, i) => store.appendToStreams(onStream(id, 1, [event('Raced', { writer: i })])));
      const outcomes = await Promise.allSettled(writers);

      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(9);
      for (const o of lost) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      const stored = await store.readStream(id);
      expect(stored.map((e) => e.version)).toEqual([1, 2]);
    });

    it('appends after a version the caller read (readAtExpectedVersion), still refusing a stale one', async () => {
      const store = makeStore();
      const id = streamId();
      await store.appendToStreams(onStream(id, 0, [event('A')]));
      const read = { streamId: id, readAtExpectedVersion: true };
      await store.appendToStreams([{ ...read, expectedVersion: 1, events: [event('B')] }]);

      // A lone append (Firestore: sent as a batch) and overlapping ones (sent through the transaction runner).
      await expect(store.appendToStreams([{ ...read, expectedVersion: 1, events: [event('Stale')] }])).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      const writers = Array.from({ length: 10 }, (_, i) =>
        store.appendToStreams([{ ...read, expectedVersion: 2, events: [event('Raced', { writer: i })] }]),
      );
      const outcomes = await Promise.allSettled(writers);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes.filter((o) => o.status === 'rejected')) {
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      }
      expect((await store.readStream(id)).map((e) => [e.version, e.type])).toEqual([
        [1, 'A'],
        [2, 'B'],
        [3, 'Raced'],
      ]);
    });

    it('appends several events to several streams atomically: all or none', async () => {
      const store = makeStore();
      const a = streamId();
      const b = streamId();
      await store.appendToStreams(onStream(b, 0, [event('B1')]));

      // b is at 1, not 0: the whole append must fail, including a's events.
      await expect(
        store.appendToStreams([
          { streamId: a, expectedVersion: 0, events: [event('A1'), event('A2')] },
          { streamId: b, expectedVersion: 0, events: [event('B-stale')] },
        ]),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(a)).toEqual([]);

      const result = await store.appendToStreams([
        { streamId: a, expectedVersion: 0, events: [event('A1'), event('A2')] },
        { streamId: b, expectedVersion: 1, events: [event('B2')] },
      ]);
      expect(result.streams).toEqual([
        { streamId: a, nextExpectedVersion: 2 },
        { streamId: b, nextExpectedVersion: 2 },
      ]);
      expect((await store.readStream(a)).map((e) => e.type)).toEqual(['A1', 'A2']);
      expect((await store.readStream(b)).map((e) => e.type)).toEqual(['B1', 'B2']);
    });

    it('stores an idempotency record with the events, and refuses a second append with the same key', async () => {
      const store = makeStore();
      const key = `key-${randomUUID()}`;
      const record = { key, requestHash: 'h1', result: { streamId: 's', version: 1 }, expiresAt: '2026-12-02T00:00:00.000Z' };
      await store.appendToStreams(onStream(streamId(), 0, [event('A')]), { idempotency: record });
      expect(await store.findIdempotencyRecord(key)).toEqual(record);

      const other = streamId();
      await expect(store.appendToStreams(onStream(other, 0, [event('A')]), { idempotency: record })).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect(await store.readStream(other)).toEqual([]);
      expect(await store.findIdempotencyRecord(`unknown-${randomUUID()}`)).toBeNull();
    });

    it('folds a stream into state with its version, as commands load it', async () => {
      const store = makeStore();
      const id = streamId();
      await store.appendToStreams(onStream(id, 0, [event('Added', { n: 2 }), event('Added', { n: 3 })]));
      const { state, version } = await loadAggregate(store, undefined, id, {
        evolve: (sum: number, e) => sum + (e.data as { n: number }).n,
        initialState: () => 0,
      });
      expect({ state, version }).toEqual({ state: 5, version: 2 });
    });
  });
}
