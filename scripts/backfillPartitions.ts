/**
 * `npm run backfill-partitions`: gives events written before the store recorded partitions their
 * `partition` field (src/firestore/partitionBackfill.ts). Resumable: Ctrl-C stops after the page in flight,
 * and the next run continues from there (exit code 3: stopped before the end). `--restart` walks the whole
 * store again.
 *
 * Run it once after deploying the partition-led indexes and before removing the collection-group indexes on
 * `recordedAt` and `occurredAt` (docs/deploy.md). `--checkpoints` does the same for the projections'
 * checkpoints, once the projectors that record a checkpoint's partition are deployed (projection status reads
 * the newest checkpoint per partition). Progress goes to stderr, the result to stdout.
 *
 * Talks to the emulators of `npm run dev` (firebase.json ports) when no FIRESTORE_EMULATOR_HOST is set
 * and the project is a demo- one; to real Google Cloud otherwise.
 */
import { parseArgs } from 'node:util';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { backfillPartitions } from '../src/firestore/partitionBackfill.ts';
import { operatorConfig } from './operatorConfig.ts';
import { progressReporter } from './progressReporter.ts';

const { values } = parseArgs({
  options: {
    restart: { type: 'boolean', default: false },
    checkpoints: { type: 'boolean', default: false },
    'page-size': { type: 'string', default: '500' },
  },
});
const pageSize = Number(values['page-size']);
if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) {
  console.error('--page-size must be a whole number between 1 and 10000.');
  process.exit(1);
}

const config = operatorConfig();
const db = createFirestore(config.projectId);

// The first Ctrl-C finishes the page in flight and saves where it stands; a second one exits at once.
const stop = new AbortController();
process.once('SIGINT', () => {
  console.error('Stopping after the page in flight; run again to resume.');
  stop.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.once('SIGTERM', () => stop.abort());

const progress = progressReporter('backfill-partitions');
try {
  const of = values.checkpoints ? 'checkpoints' : 'events';
  const result = await backfillPartitions(db, {
    of,
    pageSize,
    restart: values.restart,
    signal: stop.signal,
    onProgress: ({ scanned, updated, total }) =>
      progress.update(of, scanned, total, { text: `${updated} given a partition`, fields: { updated } }),
  });
  progress.stop();
  console.log(JSON.stringify(result, null, 2));
  if (!result.completed) process.exitCode = 3;
} catch (error) {
  progress.stop();
  console.error(error);
  process.exitCode = 1;
} finally {
  await db.terminate();
}
