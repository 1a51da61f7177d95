/**
 * Read-your-writes on the Firestore emulator: a query with a consistency token waits for the projection's
 * checkpoint of the stream, and answers once the checkpoint reaches the token's version. Many waits start while
 * their checkpoints are being written, the moment the emulator's listeners sometimes miss (firebase-tools #3867):
 * each is answered all the same, well within its wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { FirestoreReadYourWrites } from '../src/firestore/firestoreReadYourWrites.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { testFirestore } from './support/firestore.ts';

const db = testFirestore();
afterAll(() => db.terminate());
const projector = new FirestoreProjector(db, new FirestoreEventStore(db));
const waits = new FirestoreReadYourWrites(projector);
const projection = customerOrderHistoryProjection;

const writeCheckpoint = async (streamId: string, version: number) =>
  projector.checkpointRef(await projector.activeTarget(projection), streamId).set({ version });

describe('FirestoreReadYourWrites', () => {
  it('answers every wait whose checkpoint is written while its listener starts', { timeout: 60_000 }, async () => {
    // Two rounds: the emulator misses a few in most rounds of 200, not in every one.
    for (const round of [1, 2]) {
      const streams = Array.from({ length: 200 }, (_, i) => `order-ryw-${round}-${i}`);
      const answers = streams.map((streamId) => waits.waitFor(projection, { streamId, version: 1 }, 8_000));
      // Each checkpoint is written within 200 ms of its wait starting: some while its listener registers.
      await Promise.all(
        streams.map(async (streamId) => {
          await sleep(Math.random() * 200);
          await writeCheckpoint(streamId, 1);
        }),
      );
      const missed = (await Promise.all(answers)).flatMap((answer, i) => (answer.reached ? [] : [streams[i]]));
      expect(missed).toEqual([]);
    }
  });

  it('waits until the checkpoint reaches the version, and reports where it stopped when it does not in time', async () => {
    await writeCheckpoint('order-ryw-slow', 1);
    expect(await waits.waitFor(projection, { streamId: 'order-ryw-slow', version: 2 }, 1_200)).toEqual({ reached: false, checkpoint: 1 });

    const later = waits.waitFor(projection, { streamId: 'order-ryw-slow', version: 3 }, 10_000);
    await writeCheckpoint('order-ryw-slow', 2);
    await sleep(300);
    await writeCheckpoint('order-ryw-slow', 3);
    expect(await later).toEqual({ reached: true });
  });
});
