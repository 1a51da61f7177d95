/**
 * `npm run partitions -- [command]`: the deployment's partition layout (src/firestore/partitionLayout.ts).
 *
 *   (none)                          the stream partition counts, when each took or takes effect, the view partitions
 *   lay-out <count> [--views N]     a store that holds no event yet: its stream (and view) partitions from the start
 *   grow <count> [--in MINUTES]     more stream partitions from a time announced ahead (default 10 minutes), for a
 *                                   store that runs: every API instance hears of it while it runs; <count> is a
 *                                   multiple of the current one
 *
 * Deploy firestore.indexes.json first: the indexes do not depend on the count. The result goes to stdout as JSON.
 * Talks to the emulators of `npm run dev` (firebase.json ports) when no FIRESTORE_EMULATOR_HOST is set and the
 * project is a demo- one; to real Google Cloud otherwise.
 */
import { parseArgs } from 'node:util';
import { EventloomError } from '../src/core/errors.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { MIN_GROWTH_NOTICE_MS, streamPartitions } from '../src/firestore/partitionLayout.ts';
import { growStreamPartitions, layOutStreamPartitions } from '../src/firestore/partitionLayoutChanges.ts';
import type { StreamPartitions } from '../src/firestore/partitions.ts';
import { operatorConfig } from './operatorConfig.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    views: { type: 'string' },
    in: { type: 'string', default: '10' },
  },
});

const config = operatorConfig();
const db = createFirestore(config.projectId);

function wholeNumber(text: string | undefined, what: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 1)
    throw new UsageError(`${what} must be a whole number, not "${text ?? ''}".`);
  return value;
}

function describe(layout: StreamPartitions) {
  const now = Date.now();
  return {
    streamPartitions: layout.countAt(now),
    counts: layout.counts.map((count) => ({
      partitions: count.partitions,
      since: count.since === 0 ? 'the start' : new Date(count.since).toISOString(),
      inEffect: count.since <= now,
    })),
    viewPartitions: layout.viewPartitions,
  };
}

class UsageError extends Error {}

try {
  const [command, count] = positionals;
  let layout: StreamPartitions;
  if (command === undefined) {
    layout = await streamPartitions(db);
  } else if (command === 'lay-out') {
    const partitions = wholeNumber(count, 'The partition count');
    layout = await layOutStreamPartitions(db, partitions, values.views === undefined ? partitions : wholeNumber(values.views, '--views'));
  } else if (command === 'grow') {
    const minutes = Number(values.in);
    if (!(minutes * 60_000 >= MIN_GROWTH_NOTICE_MS))
      throw new UsageError(`--in must be at least ${MIN_GROWTH_NOTICE_MS / 60_000} minute(s).`);
    layout = await growStreamPartitions(db, wholeNumber(count, 'The partition count'), { noticeMs: minutes * 60_000 });
  } else {
    throw new UsageError(
      `Unknown command "${command}": lay-out <count> [--views N], grow <count> [--in MINUTES], or none to show the layout.`,
    );
  }
  console.log(JSON.stringify(describe(layout), null, 2));
} catch (error) {
  if (error instanceof UsageError || error instanceof EventloomError) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
} finally {
  await db.terminate();
}
