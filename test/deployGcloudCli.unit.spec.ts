/**
 * Every gcloud command the deploy can run (each read, create and update of the plan, and the smoke check's),
 * through the gcloud CLI installed here, with no credentials and no network: a command whose arguments parse
 * stops at "no active account"; a misspelled flag, a bad value or a wrong choice exits 2 and fails the test.
 *
 * gcloud takes about a second to start (ten under load), so the commands go through gcloud's own CLI object
 * in one Python process (test/support/gcloudDryParse.py: what the `gcloud` script itself runs); two commands
 * also go through the `gcloud` binary, to show both judge alike.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Command, Outputs, type Read } from '../scripts/deploy/converge.ts';
import { API_SERVICE_MANIFEST, apiService, type DeployOptions, desiredState, serviceUrlArgs } from '../scripts/deploy/desiredState.ts';
import { ACCESS_TOKEN_ARGS } from '../scripts/deploy/gcloudClient.ts';
import { filteredSubscription, pushSubscriptionName } from '../src/pubsub/topology.ts';
import {
  acmeShop,
  DEPLOYER,
  deployedProject,
  functionUrl,
  key,
  PROJECT_NUMBER,
  SERVICE_URL,
  withEarlierRelease,
} from './support/recordedCloud.ts';

const run = promisify(execFile);

interface Outcome {
  readonly args: readonly string[];
  readonly code: number;
  readonly stderr: string;
}

/** Parsed: gcloud got as far as wanting credentials (or, for local commands, succeeded). */
const PARSED = /You do not currently have an active account selected|Could not find default credentials|Reauthentication required/;

function parsed(outcome: Outcome): boolean {
  return outcome.code === 0 || (outcome.code === 1 && PARSED.test(outcome.stderr));
}

/** What a read finds in recorded answers, following its select and next as the engine does. */
function currentIn(answers: ReadonlyMap<string, unknown>, first: Read, commands: Command[]): unknown {
  let read: Read | undefined = first;
  let answer: unknown;
  while (read) {
    commands.push(read.command);
    answer = answers.get(key(read.command));
    if (answer === undefined) return undefined;
    if (read.select) answer = read.select(answer);
    if (answer === undefined) return undefined;
    read = read.next?.(answer);
  }
  return answer;
}

/**
 * Each command of the plan once, with the values earlier resources would have given it: every read, create and
 * update, and every delete of what the plan retires (from a project an earlier release deployed).
 */
function commandsOf(options: DeployOptions): Command[] {
  const plan = desiredState(options);
  const answers = withEarlierRelease(options, deployedProject(options), 0);
  const outputs = new Outputs();
  outputs.set('project', { number: PROJECT_NUMBER });
  outputs.set('deployer', { member: `user:${DEPLOYER}` });
  for (const fn of [...Object.keys(options.subscribers), options.deadLetterSink, options.deadlineSweep, options.rollUpSweep]) {
    outputs.set(`function:${fn}`, { url: functionUrl(fn), service: fn.toLowerCase() });
  }
  for (const [fn, eventTypes] of Object.entries(options.subscribers)) {
    outputs.set(`subscription:${filteredSubscription(pushSubscriptionName(fn), eventTypes).name}`, {});
  }
  outputs.set('service:api', { url: SERVICE_URL });
  const commands: Command[] = [];
  for (const resource of plan) {
    const current = currentIn(answers, resource.read(outputs), commands);
    commands.push(...resource.create(outputs));
    if (resource.update) commands.push(...resource.update(outputs, current));
    if (resource.remove) {
      const removal = resource.remove(current, outputs);
      expect(removal.length, `${resource.id} removes something`).toBeGreaterThan(0);
      commands.push(...removal);
    }
  }
  return commands;
}

function everyCommand(): string[][] {
  const options = acmeShop({ retireOldSubscriptions: true });
  const commands = [
    ...commandsOf(options),
    // An existing key named with --kms-key-name, by its full resource name.
    ...commandsOf(
      acmeShop({
        retireOldSubscriptions: true,
        kmsKeyName: 'projects/acme-security/locations/europe-west1/keyRings/shop/cryptoKeys/customers',
      }),
    ),
  ];
  const lines = new Map<string, string[]>();
  for (const command of commands) {
    if (command.kind === 'gcloud') lines.set(JSON.stringify(command.args), [...command.args]);
  }
  lines.set('token', [...ACCESS_TOKEN_ARGS]);
  lines.set('smoke', serviceUrlArgs(options));
  return [...lines.values()];
}

describe('every gcloud command of the deploy, through the real gcloud CLI, offline', () => {
  const home = mkdtempSync(join(tmpdir(), 'eventloom-gcloud-'));
  // gcloud reads and writes its settings here: empty, so no account, and nothing of the developer's is touched.
  const env = {
    ...process.env,
    CLOUDSDK_CONFIG: join(home, 'config'),
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_VERBOSITY: 'error',
  };
  const workdir = join(home, 'source'); // `--source=.` and `builds submit .` read the working directory
  let sdk: { installation: { sdk_root: string }; basic: { python_location: string } };

  beforeAll(async () => {
    mkdirSync(dirname(join(workdir, API_SERVICE_MANIFEST)), { recursive: true });
    writeFileSync(join(workdir, API_SERVICE_MANIFEST), JSON.stringify(apiService(acmeShop())));
    const { stdout } = await run('gcloud', ['info', '--format=json(installation.sdk_root,basic.python_location)'], { env });
    sdk = JSON.parse(stdout);
  }, 60_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  /** The commands through gcloud's CLI in one process, answers in order. */
  function dryParse(lines: readonly (readonly string[])[]): Promise<Outcome[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(sdk.basic.python_location, [join(import.meta.dirname, 'support', 'gcloudDryParse.py')], {
        cwd: workdir,
        env: { ...env, GCLOUD_SDK_ROOT: sdk.installation.sdk_root, GCLOUD_COMMAND_TIMEOUT: '60' },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        const answers = out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { code: number; stderr: string });
        if (answers.length !== lines.length)
          reject(new Error(`gcloudDryParse.py exited ${code} after ${answers.length} of ${lines.length} commands`));
        else resolve(answers.map((a, i) => ({ args: lines[i]!, ...a })));
      });
      for (const args of lines) child.stdin.write(`${JSON.stringify([...args, '--verbosity=error'])}\n`);
      child.stdin.end();
    });
  }

  it('parses every command: none stops at an unknown flag, a bad value or a wrong choice', async () => {
    const lines = everyCommand();
    expect(lines.length).toBeGreaterThan(80);
    const outcomes = await dryParse(lines);
    const refused = outcomes
      .filter((o) => !parsed(o))
      .map((o) => `gcloud ${o.args.join(' ')}\n  → exit ${o.code}: ${o.stderr.trim().split('\n')[0]}`);
    expect(refused).toEqual([]);
  }, 300_000);

  it('tells a misspelled flag, a bad value and a wrong choice from a command that only lacks credentials', async () => {
    const outcomes = await dryParse([
      ['pubsub', 'topics', 'create', 'eventloom-x', '--project=acme-shop', '--quiet'],
      ['pubsub', 'subscriptions', 'create', 'eventloom-x', '--topic=t', '--dead-letter-topik=d', '--project=acme-shop'],
      ['pubsub', 'subscriptions', 'create', 'eventloom-x', '--topic=t', '--max-delivery-attempts=500', '--project=acme-shop'],
      [
        'firestore',
        'indexes',
        'composite',
        'create',
        '--collection-group=x',
        '--query-scope=everything',
        '--field-config=field-path=a,order=ascending',
        '--project=acme-shop',
      ],
    ]);
    expect(outcomes.map(parsed)).toEqual([true, false, false, false]);
    expect(outcomes.slice(1).map((o) => o.code)).toEqual([2, 2, 2]);
    expect(outcomes[1]!.stderr).toMatch(/unrecognized arguments: --dead-letter-topik=d/);
  }, 120_000);

  it('judges as the gcloud binary does', async () => {
    const lines = [
      ['pubsub', 'topics', 'create', 'eventloom-x', '--project=acme-shop', '--quiet', '--verbosity=error'],
      ['pubsub', 'topics', 'create', 'eventloom-x', '--labels', '--project=acme-shop', '--quiet', '--verbosity=error'],
    ];
    const viaBinary = await Promise.all(
      lines.map((args) =>
        run('gcloud', args, { env, cwd: workdir, timeout: 90_000 }).then(
          () => ({ args, code: 0, stderr: '' }),
          (error: { code: number; stderr: string }) => ({ args, code: error.code, stderr: error.stderr }),
        ),
      ),
    );
    const inProcess = await dryParse(lines);
    expect(viaBinary.map((o) => [o.code, parsed(o)])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(inProcess.map((o) => [o.code, parsed(o)])).toEqual(viaBinary.map((o) => [o.code, parsed(o)]));
  }, 300_000);
});
