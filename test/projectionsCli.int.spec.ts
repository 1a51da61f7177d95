/** `npm run projections`, run as a person would, against the Firestore emulator. */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreProjector } from '../src/firestore/firestoreProjector.ts';
import { customerOrderHistoryProjection } from '../src/projections/customerOrderHistory.ts';
import { shopEvents } from '../src/shopEvents.ts';
import { append } from './support/commits.ts';
import { customerRegistered } from './support/shopFixtures.ts';
import { testFirestore, uniqueProjectId } from './support/firestore.ts';
import { viewsOf } from '../src/firestore/readModelLayout.ts';

const run = promisify(execFile);
const projectId = uniqueProjectId('cli');
const db = testFirestore(projectId);
afterAll(() => db.terminate());

/** The CLI against an emulator project. */
function cliIn(project: string) {
  return (...args: string[]) =>
    run('npx', ['tsx', 'scripts/projections.ts', ...args], {
      env: { ...process.env, GOOGLE_CLOUD_PROJECT: project, LOG_LEVEL: 'silent' },
      timeout: 90_000,
    });
}
const cli = cliIn(projectId);

/** Each CLI run is a process of its own (npx, tsx, the Firestore client): allow for a loaded machine. */
const SPAWNS = { timeout: 180_000 };

describe('npm run projections', () => {
  it('reports status, rebuilds a read model with progress, and lists dead letters', SPAWNS, async () => {
    const store = new FirestoreEventStore(db);
    const projector = new FirestoreProjector(db, store);
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    const events = await append(store, `customer-${customerId}`, 0, [customerRegistered(customerId, 'Ada')]);
    await projector.apply(customerOrderHistoryProjection, events[0]!);

    const status = await cli('status');
    expect(status.stdout).toContain('customerOrderHistory-v1');
    for (const readModel of ['customerOrderHistory', 'inventoryCount', 'orderDetails', 'recommendations', 'salesDashboard']) {
      expect(status.stdout).toContain(readModel);
    }

    const rebuild = await cli('rebuild', 'customerOrderHistory');
    expect(JSON.parse(rebuild.stdout)).toMatchObject({ completed: true, target: 'customerOrderHistory-v1-g1', eventsApplied: 1 });
    // Progress goes to stderr: JSON lines in Cloud Logging's shape when it is not a terminal.
    const progress = rebuild.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(progress.at(-1)).toMatchObject({ severity: 'INFO', component: 'rebuild', done: 1, total: 1 });
    expect((await viewsOf(db, 'customerOrderHistory-v1-g1').doc(customerId).get()).get('name')).toBe('Ada');

    const deadLetters = await cli('dead-letters', 'list');
    expect(deadLetters.stdout).toContain('(index)');
    await expect(cli('rebuild', 'nonsense')).rejects.toMatchObject({ stderr: expect.stringContaining('Unknown read model') });
  });

  it(
    'replay exits with 0 when the live read model matches its events, and with 2 and the differences when it does not',
    SPAWNS,
    async () => {
      // A project of its own: a replay compares every document of the read model.
      const replayProject = uniqueProjectId('cli-replay');
      const replayDb = testFirestore(replayProject);
      try {
        const store = new FirestoreEventStore(replayDb);
        const projector = new FirestoreProjector(replayDb, store, shopEvents);
        const customerId = `c-${randomUUID().slice(0, 8)}`;
        const events = await append(store, `customer-${customerId}`, 0, [customerRegistered(customerId, 'Ada')]);
        await projector.apply(customerOrderHistoryProjection, events[0]!);
        const replay = () => cliIn(replayProject)('replay', 'customerOrderHistory');

        const matching = await replay();
        expect(JSON.parse(matching.stdout)).toMatchObject({
          completed: true,
          comparison: { same: 1, different: [], onlyLive: [], onlyReplayed: [] },
        });

        await viewsOf(replayDb, 'customerOrderHistory-v1').doc(customerId).update({ email: 'edited@example.com' });
        const differing = await replay().then(
          () => null,
          (error: { code: number; stdout: string }) => error,
        );
        expect(differing?.code).toBe(2);
        expect(JSON.parse(differing!.stdout)).toMatchObject({
          completed: true,
          comparison: { same: 0, different: [customerId], onlyLive: [], onlyReplayed: [] },
        });
      } finally {
        await replayDb.terminate();
      }
    },
  );
});
