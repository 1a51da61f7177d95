/**
 * `npm run partitions -- [command]`: the deployment's partition layout (src/firestore/partitionLayout.ts).
 *
 *   (none)                          the stream partition counts, when each took or takes effect (for a growth in
 *                                   effect, the partitions it opened that wait to publish), the view partition counts
 *   lay-out <count> [--views N]     a store that holds no event yet: its stream (and view) partitions from the start
 *   grow <count> [--in MINUTES]     more stream partitions from a time announced ahead (default 10 minutes), for a
 *                                   store that runs: every API instance hears of it while it runs; <count> is a
 *                                   multiple of the current one
 *   grow-views <count> [--in M]     more view partitions, the same way: views written from then on spread over them,
 *                                   and every API instance's ordered live queries listen to them before then
 *
 * Deploy firestore.indexes.json first: the indexes do not depend on the count. The result goes to stdout as JSON.
 * Talks to the emulators of `npm run dev` (firebase.json ports) when no FIRESTORE_EMULATOR_HOST is set and the
 * project is a demo- one; to real Google Cloud otherwise.
 */
import { parseArgs } from 'node:util';
import { EventloomError } from '../src/core/errors.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { MIN_GROWTH_NOTICE_MS, streamPartitions } from '../src/firestore/partitionLayout.ts';
import { growStreamPartitions, growViewPartitions, layOutStreamPartitions } from '../src/firestore/partitionLayoutChanges.ts';
import type { PartitionCount, StreamPartitions } from '../src/firestore/partitions.ts';
import { waitsForOrigin } from '../src/outbox/outboxRelay.ts';
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

/**
 * The layout, and for each growth in effect the partitions it opened that do not publish yet: their streams'
 * earlier events still wait in the partitions they came from (a growth is done when none is left).
 */
async function describe(layout: StreamPartitions) {
  const now = Date.now();
  const shown = (count: PartitionCount) => ({
    partitions: count.partitions,
    since: count.since === 0 ? 'the start' : new Date(count.since).toISOString(),
    inEffect: count.since <= now,
  });
  const counts = await Promise.all(
    layout.counts.map(async (count, i) => {
      const opened = i === 0 ? [] : layout.all().slice(layout.counts[i - 1]!.partitions, count.partitions);
      const waiting = count.since <= now ? await asyncFilter(opened, (p) => waitsForOrigin(db, layout.openedBy(p)!, now)) : null;
      return { ...shown(count), ...(i > 0 && waiting ? { openedPartitionsWaiting: waiting } : {}) };
    }),
  );
  return {
    streamPartitions: layout.countAt(now),
    counts,
    viewPartitions: layout.viewCountAt(now),
    viewCounts: layout.viewCounts.map(shown),
  };
}

async function asyncFilter<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept = await Promise.all(items.map(keep));
  return items.filter((_, i) => kept[i]);
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
  } else if (command === 'grow' || command === 'grow-views') {
    const minutes = Number(values.in);
    if (!(minutes * 60_000 >= MIN_GROWTH_NOTICE_MS))
      throw new UsageError(`--in must be at least ${MIN_GROWTH_NOTICE_MS / 60_000} minute(s).`);
    const grow = command === 'grow' ? growStreamPartitions : growViewPartitions;
    layout = await grow(db, wholeNumber(count, 'The partition count'), { noticeMs: minutes * 60_000 });
  } else {
    throw new UsageError(
      `Unknown command "${command}": lay-out <count> [--views N], grow <count> [--in MINUTES], grow-views <count> [--in MINUTES], ` +
        'or none to show the layout.',
    );
  }
  console.log(JSON.stringify(await describe(layout), null, 2));
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
