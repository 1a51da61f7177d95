/**
 * `npm run seed [-- --url URL] [--orders N] [--seed S] [--concurrency C] [--delay-ms MS]
 *                [--auth-emulator HOST:PORT] [--auth-project P]]`
 *
 * Loads a demo shop through the real commands, i.e. GraphQL mutations against a running API: a kitchen and
 * home catalog, customers, then a stream of orders with their payments, shipments and cancellations, each
 * sent signed in as whoever would send it in the shop (seed/seedShop.ts). The accounts are created in the
 * Firebase Auth emulator first; the seed refuses to run without it.
 *
 * Everything is drawn from a PRNG seeded with --seed and every command carries an idempotency key made of the
 * seed and the item, so a second run with the same seed, within the keys' lifetime of a day, appends nothing.
 * Reproducible down to the outcomes: the plan (seed/orderPlan.ts) keeps ordinary orders within stock, and its
 * rejections are ones that fail on every run.
 *
 * Progress goes to stderr (bars on a terminal, Cloud Logging JSON lines otherwise), and at the end the demo
 * accounts with their password; stdout gets only the JSON summary, which lists the accounts too.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { progressReporter } from './progressReporter.ts';
import { reasonOf } from './seed/seedClient.ts';
import { SeedError } from './seed/seedError.ts';
import { defaultAuthEmulator, describeIdentities } from './seed/seedIdentities.ts';
import { DEFAULT_SEED, seedShop, type SeedProgress, type SeedSummary } from './seed/seedShop.ts';

const AUTH_DEFAULTS = defaultAuthEmulator();

const CliOptions = z.object({
  url: z.url().default('http://localhost:4000/graphql'),
  orders: z.coerce.number().int().min(0).max(100_000).default(300),
  seed: z.string().min(1).max(64).default(DEFAULT_SEED),
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  'delay-ms': z.coerce.number().int().min(0).max(60_000).default(0),
  'auth-emulator': z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^\s:/[\]]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9099')
    .default(AUTH_DEFAULTS.host),
  'auth-project': z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a Firebase project id, e.g. demo-eventloom')
    .default(AUTH_DEFAULTS.projectId),
});

const USAGE = `Usage: npm run seed -- [--url URL] [--orders N] [--seed S] [--concurrency C] [--delay-ms MS]
                      [--auth-emulator HOST:PORT] [--auth-project P]

  --url            GraphQL endpoint of a running API (default http://localhost:4000/graphql)
  --orders         how many orders to place (default 300)
  --seed           seeds the data and the idempotency keys; the same seed twice writes once (default ${DEFAULT_SEED})
  --concurrency    orders in flight at once (default 4)
  --delay-ms       pause between orders and between an order's steps, to watch dashboards change (default 0)
  --auth-emulator  the Firebase Auth emulator the demo accounts are created in and signed in to; the seed runs
                   against no other (default FIREBASE_AUTH_EMULATOR_HOST, else firebase.json's: ${AUTH_DEFAULTS.host})
  --auth-project   the project of the emulator's accounts and tokens, the API's AUTH_PROJECT_ID
                   (default .firebaserc's: ${AUTH_DEFAULTS.projectId})`;

/** The command line, as parseArgs reads it (throws on an unknown flag). */
function parseCli() {
  return parseArgs({
    options: {
      url: { type: 'string' },
      orders: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      'delay-ms': { type: 'string' },
      'auth-emulator': { type: 'string' },
      'auth-project': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parseCli>['values'];
  try {
    values = parseCli().values;
  } catch (error) {
    console.error(`${reasonOf(error)}\n\n${USAGE}`);
    process.exit(2);
  }

  if (values.help) {
    console.error(USAGE);
    return;
  }
  const parsed = CliOptions.safeParse(values);
  if (!parsed.success) {
    console.error(`${z.prettifyError(parsed.error)}\n\n${USAGE}`);
    process.exit(2);
  }
  const cli = parsed.data;
  // firebase-admin finds the emulator through the environment; in this process the flag decides.
  process.env.FIREBASE_AUTH_EMULATOR_HOST = cli['auth-emulator'];
  const progress = progressReporter('seed');
  const reporter = {
    update: ({ phase, done, total, summary }: SeedProgress) =>
      progress.update(
        phase,
        done,
        total,
        phase === 'orders' ? { text: orderDetails(summary), fields: { orders: summary.orders } } : undefined,
      ),
    stop: () => progress.stop(),
  };
  try {
    const summary = await seedShop({
      url: cli.url,
      orders: cli.orders,
      seed: cli.seed,
      concurrency: cli.concurrency,
      delayMs: cli['delay-ms'],
      authEmulator: { host: cli['auth-emulator'], projectId: cli['auth-project'] },
      onProgress: reporter.update,
    });
    reporter.stop();
    console.error(describeIdentities(summary.identities));
    console.log(JSON.stringify(summary, null, 2));
  } catch (error) {
    reporter.stop();
    if (!(error instanceof SeedError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

function orderDetails({ orders }: SeedSummary): string {
  const rejected = Object.values(orders.rejected).reduce((sum, n) => sum + n, 0);
  return `placed ${orders.placed} · paid ${orders.paid} · shipped ${orders.shipped} · cancelled ${orders.cancelled} · rejected ${rejected}`;
}

await main();
