/**
 * `npm run deploy -- --project P [--region R] [--dry-run] [--smoke]`: converges a Google Cloud project on
 * Eventloom's desired state (scripts/deploy/desiredState.ts): each resource is read, then created, updated,
 * kept, or (what this release retires) deleted. `--dry-run` reads and prints what would change, changing nothing;
 * `--smoke` then checks the API answers.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEAD_LETTER_SINK, DEADLINE_SWEEP, ROLL_UP_SWEEP, subscribers } from '../functions/projectors.ts';
import { loadConfig } from '../src/config.ts';
import { type Change, commandText, converge, DeployError } from './deploy/converge.ts';
import { API_SERVICE_MANIFEST, apiService, desiredState, firestoreIndexesSchema, serviceUrlArgs } from './deploy/desiredState.ts';
import { freshProjectClient, gcloudClient, runGcloud } from './deploy/gcloudClient.ts';
import { smoke } from './deploy/smoke.ts';
import { PROJECT_ROOT } from './projectRoot.ts';

const USAGE =
  'Usage: npm run deploy -- --project <gcp-project> [--region europe-west1] [--firebase-api-key KEY] [--kms-key-name projects/P/locations/L/keyRings/R/cryptoKeys/K] ' +
  '[--allowed-origins https://shop.example.com,https://admin.example.com] [--max-instances 10] [--function-max-instances 20] [--live-rolled-up-views parts|shards] [--retire-old-subscriptions] [--dry-run [--assume-fresh]] ' +
  '[--smoke [--smoke-email EMAIL, password in EVENTLOOM_SMOKE_PASSWORD]]';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    region: { type: 'string', default: 'europe-west1' },
    'firebase-api-key': { type: 'string' },
    'allowed-origins': { type: 'string' },
    'kms-key-name': { type: 'string' },
    'max-instances': { type: 'string' },
    'function-max-instances': { type: 'string' },
    'live-rolled-up-views': { type: 'string' },
    'retire-old-subscriptions': { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'assume-fresh': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    'smoke-email': { type: 'string' },
  },
});
const count = (flag: string | undefined) => (flag === undefined ? undefined : Number(flag));
const maxInstances = count(values['max-instances']);
const functionMaxInstances = count(values['function-max-instances']);
const wholeOrAbsent = (value: number | undefined) => value === undefined || (Number.isInteger(value) && value > 0);
const liveRolledUpViews = values['live-rolled-up-views'];
const liveViewsOrAbsent = liveRolledUpViews === undefined || liveRolledUpViews === 'parts' || liveRolledUpViews === 'shards';
if (!values.project || !wholeOrAbsent(maxInstances) || !wholeOrAbsent(functionMaxInstances) || !liveViewsOrAbsent) {
  console.error(USAGE);
  process.exit(1);
}
const project = values.project;
const region = values.region ?? 'europe-west1';
const config = loadConfig({ ...process.env, GOOGLE_CLOUD_PROJECT: project });
const options = {
  project,
  region,
  // Every function pushed domain events (the projectors and the payment workflow), with the types it reads.
  subscribers,
  deadLetterSink: DEAD_LETTER_SINK,
  deadlineSweep: DEADLINE_SWEEP,
  rollUpSweep: ROLL_UP_SWEEP,
  domainEventsTopic: config.domainEventsTopic,
  integrationEventsTopic: config.integrationEventsTopic,
  sourceVersion: sourceVersion(),
  firestoreIndexes: firestoreIndexesSchema.parse(JSON.parse(readFileSync(join(PROJECT_ROOT, 'firestore.indexes.json'), 'utf8'))),
  firestoreRules: readFileSync(join(PROJECT_ROOT, 'firestore.rules'), 'utf8'),
  ...(values['firebase-api-key'] ? { firebaseApiKey: values['firebase-api-key'] } : {}),
  ...(values['allowed-origins'] ? { allowedOrigins: values['allowed-origins'] } : {}),
  ...(values['kms-key-name'] ? { kmsKeyName: values['kms-key-name'] } : {}),
  ...(maxInstances ? { maxInstances } : {}),
  ...(functionMaxInstances ? { functionMaxInstances } : {}),
  ...(liveRolledUpViews ? { liveRolledUpViews: liveRolledUpViews as 'parts' | 'shards' } : {}),
  retireOldSubscriptions: values['retire-old-subscriptions'] ?? false,
};

// The Cloud Run service as a file, for `gcloud run services replace` and for people to read.
const manifest = join(PROJECT_ROOT, API_SERVICE_MANIFEST);
mkdirSync(dirname(manifest), { recursive: true });
writeFileSync(manifest, `${JSON.stringify(apiService(options), null, 2)}\n`);
process.chdir(PROJECT_ROOT); // the commands upload `.` and name the manifest relative to it

const assumeFresh = values['assume-fresh'] ?? false;
const dryRun = (values['dry-run'] ?? false) || assumeFresh;
console.error(
  `${assumeFresh ? 'Dry run, assuming a fresh' : dryRun ? 'Dry run: reading' : 'Converging'} project ${project} (${region}), source ${options.sourceVersion}; Cloud Run service in ${API_SERVICE_MANIFEST}`,
);
const SIGN = { create: '+', update: '~', delete: '-', unchanged: '=' } as const;
const report = (change: Change, index: number, total: number) => {
  const { action, resource, differences, commands } = change;
  // What the plan retires is as desired when absent, and may be kept a while (its notes say why).
  const label = action === 'unchanged' && resource.remove ? (change.notes?.length ? 'kept' : 'absent') : action;
  console.log(`[${index + 1}/${total}] ${SIGN[action]} ${label.padEnd(9)} ${resource.what}`);
  for (const difference of differences) console.log(`      ${difference}`);
  for (const note of change.notes ?? []) console.log(`      note: ${note}`);
  if (dryRun) for (const command of commands) console.log(`      $ ${commandText(command)}`);
};

try {
  const cloud = assumeFresh ? freshProjectClient(project, options.kmsKeyName) : gcloudClient();
  const changes = await converge(desiredState(options), cloud, {
    dryRun,
    onChange: report,
  });
  const count = (action: Change['action']) => changes.filter((c) => c.action === action).length;
  const summary = `${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged`;
  const changed = count('create') + count('update') + count('delete');
  console.log(dryRun ? (changed === 0 ? `No changes (${summary}).` : `Would change: ${summary}.`) : `Done: ${summary}.`);
} catch (error) {
  if (!(error instanceof DeployError)) throw error;
  console.error(`Deploy stopped at ${error.message}`);
  process.exit(1);
}

if (values.smoke && !dryRun) {
  const url = await runGcloud(serviceUrlArgs(options));
  if (url.code !== 0) {
    console.error(`Smoke: cannot find the service URL: ${url.stderr.trim()}`);
    process.exit(1);
  }
  const password = process.env.EVENTLOOM_SMOKE_PASSWORD;
  const apiKey = values['firebase-api-key'];
  const signIn = values['smoke-email'] && password && apiKey ? { email: values['smoke-email'], password, apiKey } : undefined;
  if (!signIn) console.error('Smoke: no --smoke-email, EVENTLOOM_SMOKE_PASSWORD and --firebase-api-key: the signed-in query is skipped.');
  const result = await smoke({ serviceUrl: url.stdout.trim(), ...(signIn ? { signIn } : {}) });
  console.log(`Service URL: ${result.serviceUrl}`);
  for (const check of result.checks) console.log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  if (result.checks.some((check) => !check.ok)) process.exit(1);
}

/** A hash of the files a build uploads (tracked and untracked, not ignored), as they are on disk now. */
function sourceVersion(): string {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean)
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    let content: Buffer;
    try {
      content = readFileSync(join(PROJECT_ROOT, file));
    } catch {
      continue; // deleted in the work tree, not yet in the index
    }
    hash.update(file).update('\0').update(content).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}
