import { beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_SINK, DEADLINE_SWEEP, projections, projectors, ROLL_UP_SWEEP, subscribers } from '../functions/projectors.ts';
import { type Change, type CloudClient, type Command, converge, DeployError, type Resource } from '../scripts/deploy/converge.ts';
import { apiService, desiredState, SERVICES } from '../scripts/deploy/desiredState.ts';
import { freshProjectClient } from '../scripts/deploy/gcloudClient.ts';
import { deadLetterTopicName, filteredSubscription, pushSubscriptionName } from '../src/pubsub/topology.ts';
import {
  acmeShop,
  deployedProject,
  freshProject,
  functionUrl,
  key,
  PROJECT_NUMBER,
  recordedCloud,
  withEarlierRelease,
} from './support/recordedCloud.ts';

/** A subscriber's current push subscription: its plain name and the digest of its filter. */
const subscriptionOf = (fn: string) => filteredSubscription(pushSubscriptionName(fn), subscribers[fn]!);
const KEY = 'projects/acme-shop/locations/europe-west1/keyRings/eventloom/cryptoKeys/customer-data';
const sa = (name: string) => `serviceAccount:eventloom-${name}@acme-shop.iam.gserviceaccount.com`;

const gcloud = (...args: string[]): Command => ({ kind: 'gcloud', args });

/** A resource read with `describe NAME` and created with `create NAME`, updated when its `size` differs. */
function sized(name: string, size: number, extra: Partial<Resource> = {}): Resource {
  return {
    id: name,
    what: `thing ${name}`,
    read: () => ({ command: gcloud('describe', name) }),
    create: () => [gcloud('create', name, `--size=${size}`)],
    update: () => [gcloud('update', name, `--size=${size}`)],
    differences: (current) =>
      (current as { size: number }).size === size ? [] : [`size: ${(current as { size: number }).size} → ${size}`],
    ...extra,
  };
}

function cloud(answers: Record<string, { code: number; stdout?: string; stderr?: string }>, applyFails: Record<string, string> = {}) {
  const calls: string[] = [];
  const client: CloudClient = {
    async run(command, mode) {
      const line = key(command);
      calls.push(`${mode} ${line}`);
      if (mode === 'apply')
        return applyFails[line] ? { code: 1, stdout: '', stderr: applyFails[line]! } : { code: 0, stdout: '', stderr: '' };
      const answer = answers[line] ?? { code: 1, stderr: 'ERROR: NOT_FOUND: Resource not found (resource=x).' };
      return { code: answer.code, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
    },
  };
  return { client, calls };
}

const actions = (changes: Change[]) => changes.map((c) => `${c.action} ${c.resource.id}`);

describe('converge', () => {
  it('creates what is not found, updates what differs and leaves what is the same alone', async () => {
    const { client, calls } = cloud({
      'describe same': { code: 0, stdout: '{"size":1}' },
      'describe different': { code: 0, stdout: '{"size":1}' },
    });
    const changes = await converge([sized('absent', 1), sized('same', 1), sized('different', 2)], client, { dryRun: false });
    expect(actions(changes)).toEqual(['create absent', 'unchanged same', 'update different']);
    expect(changes[2]!.differences).toEqual(['size: 1 → 2']);
    expect(calls.filter((c) => c.startsWith('apply'))).toEqual(['apply create absent --size=1', 'apply update different --size=2']);
  });

  it('in a dry run reads everything and changes nothing', async () => {
    const { client, calls } = cloud({ 'describe different': { code: 0, stdout: '{"size":1}' } });
    const changes = await converge([sized('absent', 1), sized('different', 2)], client, { dryRun: true });
    expect(actions(changes)).toEqual(['create absent', 'update different']);
    expect(calls).toEqual(['read describe absent', 'read describe different']);
  });

  it('stops at a read that fails for any reason but "not found", and reads nothing after it', async () => {
    const { client, calls } = cloud({
      'describe denied': {
        code: 1,
        stderr: 'ERROR: (gcloud.pubsub.topics.describe) PERMISSION_DENIED: User not authorized to perform this action.',
      },
    });
    const run = converge([sized('denied', 1), sized('after', 1)], client, { dryRun: false });
    await expect(run).rejects.toThrow(DeployError);
    await expect(run).rejects.toThrow(/denied: reading it failed: .*PERMISSION_DENIED/);
    expect(calls).toEqual(['read describe denied']);
  });

  it("stops at a change that fails, with gcloud's message, and applies nothing after it", async () => {
    const { client, calls } = cloud(
      {},
      { 'create first --size=1': 'ERROR: (gcloud.functions.deploy) Build failed: npm ERR! missing script' },
    );
    const run = converge([sized('first', 1), sized('second', 1)], client, { dryRun: false, retryDelayMs: 1 });
    await expect(run).rejects.toThrow(/first: gcloud create first --size=1 failed: .*Build failed/);
    expect(calls).toEqual(['read describe first', 'apply create first --size=1']);
  });

  it('refuses a difference it cannot change in place instead of ignoring it', async () => {
    const { client } = cloud({ 'describe fixed': { code: 0, stdout: '{"size":1}' } });
    const { update: _update, ...fixed } = sized('fixed', 2);
    await expect(converge([fixed], client, { dryRun: true })).rejects.toThrow(
      /fixed: differs and cannot be changed in place \(size: 1 → 2\)/,
    );
  });

  it('retries a change on an error it is told is passing (IAM not yet seeing a new account), then succeeds', async () => {
    let attempts = 0;
    const client: CloudClient = {
      async run(_command, mode) {
        if (mode === 'read') return { code: 1, stdout: '', stderr: 'NOT_FOUND' };
        attempts++;
        return attempts < 3
          ? { code: 1, stdout: '', stderr: 'INVALID_ARGUMENT: Service account x does not exist.' }
          : { code: 0, stdout: '', stderr: '' };
      },
    };
    await converge([sized('grant', 1, { retryOn: /does not exist/ })], client, { dryRun: false, retryDelayMs: 1 });
    expect(attempts).toBe(3);
  });

  it('passes what one resource reads to the next, and treats what hangs on a missing resource as absent (dry run)', async () => {
    const fn: Resource = {
      id: 'fn',
      what: 'function',
      read: () => ({ command: gcloud('describe', 'fn') }),
      create: () => [gcloud('deploy', 'fn')],
      outputs: (current) => ({ url: (current as { url: string }).url }),
    };
    const subscription: Resource = {
      id: 'sub',
      what: 'subscription',
      needs: ['fn'],
      read: () => ({ command: gcloud('describe', 'sub') }),
      create: (outputs) => [gcloud('create', 'sub', `--push-endpoint=${outputs.get('fn', 'url')}`)],
    };
    const fresh = cloud({ 'describe sub': { code: 0, stdout: '{}' } });
    const dry = await converge([fn, subscription], fresh.client, { dryRun: true });
    // The subscription is not read while its function does not exist: it will be created, pushing to the new URL.
    expect(fresh.calls).toEqual(['read describe fn']);
    expect(dry.map((c) => c.commands.map(key))).toEqual([['deploy fn'], ['create sub --push-endpoint=<url of fn>']]);

    const deployed = cloud({ 'describe fn': { code: 0, stdout: '{"url":"https://fn.run.app"}' } });
    const real = await converge([fn, subscription], deployed.client, { dryRun: false });
    expect(real.map((c) => c.commands.map(key))).toEqual([[], ['create sub --push-endpoint=https://fn.run.app']]);
  });
});

describe('the desired state of Eventloom on a fresh project', () => {
  const options = acmeShop();
  const plan = desiredState(options);
  const fresh = recordedCloud(freshProject(options));
  const lines: string[] = [];
  let changes: Change[] = [];
  let commands: string[] = [];
  beforeAll(async () => {
    changes = await converge(plan, fresh, { dryRun: true, onChange: (c) => lines.push(`${c.action} ${c.resource.id}`) });
    commands = changes.flatMap((c) => c.commands.map(key));
  });
  const position = (pattern: RegExp) => {
    const index = commands.findIndex((c) => pattern.test(c));
    expect(index, String(pattern)).toBeGreaterThanOrEqual(0);
    return index;
  };

  it('a dry run prints the whole plan in order: every resource to create, nothing changed', () => {
    // Unchanged: what must already exist, what is only reported, and what this release retires (absent here).
    const alreadyAsDesired = (r: Resource) => Boolean(r.mustExist || r.remove) || r.id === 'firestore-indexes:undeclared';
    expect(lines).toEqual(plan.map((r) => (alreadyAsDesired(r) ? `unchanged ${r.id}` : `create ${r.id}`)));
    expect(lines.filter((l) => l.startsWith('unchanged ')).length).toBe(2 + 1 + Object.keys(subscribers).length + 2);
    expect(fresh.applied()).toEqual([]);
  });

  it('enables every API first, IAM among them (service accounts need it), and passes --quiet and --project to every gcloud command', () => {
    expect(commands.slice(0, SERVICES.length).every((c) => c.startsWith('services enable '))).toBe(true);
    for (const service of ['cloudkms', 'cloudscheduler', 'cloudtrace', 'monitoring']) {
      expect(commands).toContain(`services enable ${service}.googleapis.com`);
    }
    expect(commands).toContain('services enable iam.googleapis.com');
    for (const change of changes) {
      for (const command of change.commands) {
        if (command.kind === 'gcloud') expect(command.args).toEqual(expect.arrayContaining(['--quiet', '--project=acme-shop']));
      }
    }
  });

  it('deploys rules and indexes without the Firebase CLI, and each TTL once', () => {
    expect(commands.some((c) => /firebase/.test(c) && !c.includes('firebaserules.googleapis.com'))).toBe(false);
    expect(commands).toContain('POST https://firebaserules.googleapis.com/v1/projects/acme-shop/rulesets');
    for (const override of options.firestoreIndexes.fieldOverrides.filter((f) => f.ttl)) {
      expect(
        commands.filter(
          (c) =>
            c ===
            `firestore fields ttls update ${override.fieldPath} --collection-group=${override.collectionGroup} --database=(default) --enable-ttl`,
        ),
      ).toHaveLength(1);
    }
    for (const index of options.firestoreIndexes.indexes) {
      expect(commands).toContainEqual(
        expect.stringMatching(
          new RegExp(`^firestore indexes composite create --database=\\(default\\) --collection-group=${index.collectionGroup} `),
        ),
      );
    }
  });

  it('creates the key, topics, functions, subscriptions and dead letters before the API goes live, then the API, then the sweep job', () => {
    const api = position(/^run services replace /);
    const image = position(/^builds submit /);
    const key = position(/^kms keys create customer-data /);
    for (const fn of Object.keys(subscribers)) {
      const plain = pushSubscriptionName(fn);
      const deadLetterTopic = position(new RegExp(`^pubsub topics create ${deadLetterTopicName(plain)}$`));
      const deployed = position(new RegExp(`^functions deploy ${fn} `));
      const created = position(new RegExp(`^pubsub subscriptions create ${subscriptionOf(fn).name} `));
      const deadLetters = position(new RegExp(`^pubsub subscriptions create ${plain}-dead-letters `));
      expect(key).toBeLessThan(deployed);
      expect(deadLetterTopic).toBeLessThan(created);
      expect(deployed).toBeLessThan(created);
      expect(Math.max(created, deadLetters)).toBeLessThan(api);
    }
    expect(position(/^pubsub topics create eventloom-domain-events$/)).toBeLessThan(api);
    expect(image).toBeLessThan(api);
    expect(position(/^functions deploy sweepPaymentDeadlines /)).toBeLessThan(api);
    // Then only: anyone may reach the API, and the sweeps start (deadlines, the dashboard's roll-ups).
    expect(commands.slice(api + 1)).toEqual([
      'run services add-iam-policy-binding eventloom-api --region=europe-west1 --member=allUsers --role=roles/run.invoker',
      expect.stringMatching(/^scheduler jobs create http eventloom-payment-deadlines /),
      expect.stringMatching(/^scheduler jobs create http eventloom-roll-ups .* --uri=<url of function:sweepRollUps> /),
    ]);
  });

  it('has one projector function for every read model, and none without one', () => {
    expect(new Set(Object.values(projectors))).toEqual(new Set(projections));
    for (const fn of [...Object.keys(subscribers), DEAD_LETTER_SINK, DEADLINE_SWEEP, ROLL_UP_SWEEP]) {
      expect(commands).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^functions deploy ${fn} --gen2 --runtime=nodejs22 .*--no-allow-unauthenticated .*--build-service-account=projects/acme-shop/serviceAccounts/eventloom-builder@`,
          ),
        ),
      );
    }
  });

  it('grants what the platform needs, on the resource wherever it has a policy', () => {
    const agent = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    for (const fn of Object.keys(subscribers)) {
      const plain = pushSubscriptionName(fn);
      const subscription = subscriptionOf(fn).name;
      expect(commands).toContain(
        `pubsub topics add-iam-policy-binding ${deadLetterTopicName(plain)} --member=${agent} --role=roles/pubsub.publisher`,
      );
      expect(commands).toContain(
        `pubsub subscriptions add-iam-policy-binding ${subscription} --member=${agent} --role=roles/pubsub.subscriber`,
      );
      // The grant on a subscription follows its creation.
      expect(position(new RegExp(`^pubsub subscriptions create ${subscription} `))).toBeLessThan(
        position(new RegExp(`^pubsub subscriptions add-iam-policy-binding ${subscription} `)),
      );
    }
    // Each function may be invoked by its caller only: Pub/Sub's pusher, or Cloud Scheduler's account for the sweeps.
    const invokers = commands.filter((c) => c.startsWith('functions add-invoker-policy-binding '));
    expect(invokers.sort()).toEqual(
      [
        ...[...Object.keys(subscribers), DEAD_LETTER_SINK].map(
          (fn) => `functions add-invoker-policy-binding ${fn} --region=europe-west1 --member=${sa('pusher')}`,
        ),
        `functions add-invoker-policy-binding ${DEADLINE_SWEEP} --region=europe-west1 --member=${sa('scheduler')}`,
        `functions add-invoker-policy-binding ${ROLL_UP_SWEEP} --region=europe-west1 --member=${sa('scheduler')}`,
      ].sort(),
    );
    expect(commands).toContain(
      `iam service-accounts add-iam-policy-binding eventloom-pusher@acme-shop.iam.gserviceaccount.com --member=${agent} --role=roles/iam.serviceAccountTokenCreator`,
    );
    // The KMS key is granted on the key, to the two runtime accounts, for encrypting and decrypting only.
    expect(commands.filter((c) => c.startsWith('kms keys add-iam-policy-binding ')).sort()).toEqual(
      ['api', 'projector'].map(
        (name) =>
          `kms keys add-iam-policy-binding customer-data --keyring=eventloom --location=europe-west1 --member=${sa(name)} --role=roles/cloudkms.cryptoKeyEncrypterDecrypter`,
      ),
    );
    // /readyz reads the domain events topic's metadata: the viewer role on that topic, not on the project.
    expect(commands).toContain(
      `pubsub topics add-iam-policy-binding eventloom-domain-events --member=${sa('api')} --role=roles/pubsub.viewer`,
    );
    for (const name of ['api', 'projector', 'pusher', 'builder', 'scheduler']) {
      expect(commands).toContain(
        `iam service-accounts add-iam-policy-binding eventloom-${name}@acme-shop.iam.gserviceaccount.com --member=user:platform@acme.example --role=roles/iam.serviceAccountUser`,
      );
    }
    for (const topic of ['eventloom-domain-events', 'eventloom-integration-events']) {
      expect(commands).toContain(`pubsub topics add-iam-policy-binding ${topic} --member=${sa('api')} --role=roles/pubsub.publisher`);
    }
    expect(commands).toContain(
      `artifacts repositories add-iam-policy-binding eventloom --location=europe-west1 --member=${sa('builder')} --role=roles/artifactregistry.writer`,
    );
    // Only what has no policy below the project is bound on it.
    expect(
      commands
        .filter((c) => c.startsWith('projects add-iam-policy-binding'))
        .map((c) => c.replace(/^projects add-iam-policy-binding acme-shop --condition=None /, ''))
        .sort(),
    ).toEqual([
      `--member=${sa('api')} --role=roles/cloudtrace.agent`,
      `--member=${sa('api')} --role=roles/datastore.user`,
      `--member=${sa('api')} --role=roles/monitoring.metricWriter`,
      `--member=${sa('builder')} --role=roles/logging.logWriter`,
      `--member=${sa('builder')} --role=roles/storage.objectViewer`,
      `--member=${sa('projector')} --role=roles/cloudtrace.agent`,
      `--member=${sa('projector')} --role=roles/datastore.user`,
      `--member=${sa('projector')} --role=roles/monitoring.metricWriter`,
      `--member=serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-cloudscheduler.iam.gserviceaccount.com --role=roles/cloudscheduler.serviceAgent`,
    ]);
    expect(commands).toContain(
      'run services add-iam-policy-binding eventloom-api --region=europe-west1 --member=allUsers --role=roles/run.invoker',
    );
  });

  it('pushes only the types a function reads, as the pusher, with its URL as audience, and dead-letters after 5 attempts', () => {
    const { name, filter } = subscriptionOf('projectCustomerOrderHistory');
    expect(name).toMatch(/^projector-customer-order-history-f[0-9a-f]{8}$/);
    const create = changes.find((c) => c.resource.id === `subscription:${name}`)!.commands.map(key)[0];
    expect(create).toBe(
      `pubsub subscriptions create ${name} --topic=eventloom-domain-events --message-filter=${filter} ` +
        '--push-endpoint=<url of function:projectCustomerOrderHistory> --push-auth-service-account=eventloom-pusher@acme-shop.iam.gserviceaccount.com ' +
        '--push-auth-token-audience=<url of function:projectCustomerOrderHistory> --ack-deadline=30 --min-retry-delay=1s --max-retry-delay=60s ' +
        '--dead-letter-topic=projector-customer-order-history-dead-letter --max-delivery-attempts=5',
    );
  });
});

describe('--dry-run --assume-fresh (the CLI, without an account)', () => {
  it('plans as on a recorded fresh project, with a --kms-key-name key assumed to exist', async () => {
    const given = 'projects/acme-security/locations/europe-west1/keyRings/shop/cryptoKeys/customers';
    for (const options of [acmeShop(), acmeShop({ kmsKeyName: given })]) {
      const recorded = freshProject(options);
      if (options.kmsKeyName) recorded.set(`kms keys describe ${given}`, { name: given, purpose: 'ENCRYPT_DECRYPT' });
      const plan = async (cloud: CloudClient) =>
        (await converge(desiredState(options), cloud, { dryRun: true })).map((c) => [c.action, c.resource.id, c.commands.map(key)]);
      const cli = await plan(freshProjectClient(options.project, options.kmsKeyName));
      // The CLI knows no project number: the Pub/Sub and Cloud Scheduler service agents are named with a placeholder.
      expect(
        JSON.stringify(cli).replaceAll('PROJECT_NUMBER', PROJECT_NUMBER).replaceAll('you@example.com', 'platform@acme.example'),
      ).toEqual(JSON.stringify(await plan(recordedCloud(recorded))));
    }
  });
});

describe('the desired state of Eventloom on a project where it is deployed', () => {
  const options = acmeShop();

  it('a dry run against "everything exists, as desired" prints no changes, and reads the shared policies once', async () => {
    const deployed = recordedCloud(deployedProject(options));
    const changes = await converge(desiredState(options), deployed, { dryRun: true });
    expect(changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.resource.id}: ${c.differences.join('; ')}`)).toEqual(
      [],
    );
    expect(deployed.commands.filter((c) => key(c.command) === 'projects get-iam-policy acme-shop')).toHaveLength(1);
  });

  it('updates only what differs: a function URL that changed, a backoff set by hand, a new build of the source', async () => {
    const answers = deployedProject(options);
    const inventory = subscriptionOf('projectInventoryCount').name;
    const subscription = `pubsub subscriptions describe ${inventory}`;
    const current = answers.get(subscription) as { pushConfig: object; retryPolicy: object };
    answers.set(subscription, {
      ...current,
      pushConfig: {
        pushEndpoint: 'https://old.example',
        oidcToken: { serviceAccountEmail: 'eventloom-pusher@acme-shop.iam.gserviceaccount.com', audience: 'https://old.example' },
      },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '60s' },
    });
    const cloudWithDrift = recordedCloud(answers);
    const changes = await converge(desiredState(acmeShop({ sourceVersion: 'fedcba9876543210' })), cloudWithDrift, { dryRun: false });
    const changed = changes.filter((c) => c.action !== 'unchanged');
    expect(changed.map((c) => c.resource.id)).toEqual([
      ...[...Object.keys(subscribers), DEAD_LETTER_SINK, DEADLINE_SWEEP, ROLL_UP_SWEEP].map((fn) => `function:${fn}`),
      `subscription:${inventory}`,
      'image',
      'service:api',
    ]);
    const sub = changed.find((c) => c.resource.id === `subscription:${inventory}`)!;
    expect(sub.differences).toEqual([
      `push endpoint: https://old.example → ${functionUrl('projectInventoryCount')}`,
      `push audience: https://old.example → ${functionUrl('projectInventoryCount')}`,
      'minimum backoff: 10s → 1s',
    ]);
    expect(sub.commands.map(key)[0]).toMatch(
      new RegExp(`^pubsub subscriptions update ${inventory} --push-endpoint=https://projectinventorycount-`),
    );
    expect(changed.find((c) => c.resource.id === 'service:api')!.differences).toEqual([
      'image: europe-west1-docker.pkg.dev/acme-shop/eventloom/eventloom-api:0123456789abcdef → europe-west1-docker.pkg.dev/acme-shop/eventloom/eventloom-api:fedcba9876543210',
    ]);
    expect(cloudWithDrift.applied().filter((c) => c.startsWith('run services replace'))).toEqual([
      'run services replace .deploy/eventloom-api.service.json --region=europe-west1',
    ]);
  });

  it('raises every function to --function-max-instances, and changes nothing else', async () => {
    const changes = await converge(desiredState(acmeShop({ functionMaxInstances: 60 })), recordedCloud(deployedProject(options)), {
      dryRun: true,
    });
    const changed = changes.filter((c) => c.action !== 'unchanged');
    const functions = [...Object.keys(subscribers), DEAD_LETTER_SINK, DEADLINE_SWEEP, ROLL_UP_SWEEP];
    expect(changed.map((c) => c.resource.id)).toEqual(functions.map((fn) => `function:${fn}`));
    for (const change of changed) {
      expect(change.differences).toEqual(['max instances: 20 → 60']);
      expect(change.commands.map(key)[0]).toMatch(/ --max-instances=60( |$)/);
    }
  });

  it('reports a composite index no longer declared, and leaves it alone', async () => {
    const answers = deployedProject(options);
    const list = 'firestore indexes composite list --database=(default)';
    const declared = answers.get(list) as { name: string }[];
    const undeclared = {
      name: 'projects/acme-shop/databases/(default)/collectionGroups/legacyOutbox/indexes/CICAgJiUpoMK',
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'pending', order: 'ASCENDING' },
        { fieldPath: 'createdAt', order: 'ASCENDING' },
        { fieldPath: '__name__', order: 'ASCENDING' },
      ],
      state: 'READY',
    };
    answers.set(list, [...declared, undeclared]);
    const cloudWithOldIndex = recordedCloud(answers);
    const changes = await converge(desiredState(options), cloudWithOldIndex, { dryRun: false });
    expect(changes.filter((c) => c.action !== 'unchanged')).toEqual([]);
    expect(changes.flatMap((c) => c.notes ?? [])).toEqual([
      "not declared, left alone: legacyOutbox (collection: pending ascending, createdAt ascending); once unused: gcloud firestore indexes composite delete CICAgJiUpoMK --database='(default)'",
    ]);
    expect(cloudWithOldIndex.applied()).toEqual([]);
  });

  it('stops rather than reuse a subscription that reads another topic, or filters on something else', async () => {
    const details = subscriptionOf('projectOrderDetails').name;
    const answers = deployedProject(options);
    const subscription = `pubsub subscriptions describe ${details}`;
    answers.set(subscription, { ...(answers.get(subscription) as object), topic: 'projects/acme-shop/topics/something-else' });
    await expect(converge(desiredState(options), recordedCloud(answers), { dryRun: true })).rejects.toThrow(
      new RegExp(`subscription:${details}: reads projects/acme-shop/topics/something-else, not eventloom-domain-events`),
    );
    const reused = deployedProject(options);
    reused.set(subscription, { ...(reused.get(subscription) as object), filter: 'attributes.type = "OrderPlaced"' });
    await expect(converge(desiredState(options), recordedCloud(reused), { dryRun: true })).rejects.toThrow(
      new RegExp(`subscription:${details}: filters on .*OrderPlaced.*, not .*OrderShipped.*: delete it to have it recreated`),
    );
  });

  it('stops when gcloud is not signed in, before reading anything else', async () => {
    const answers = deployedProject(options);
    answers.set('config list', { core: { project: 'acme-shop' } });
    await expect(converge(desiredState(options), recordedCloud(answers), { dryRun: true })).rejects.toThrow(/gcloud auth login/);
  });
});

/** The commands of the changes, as text, by resource id. */
const commandsById = (changes: Change[]) =>
  Object.fromEntries(changes.filter((c) => c.action !== 'unchanged').map((c) => [c.resource.id, c.commands.map(key)]));

describe('the live sales dashboard', () => {
  it('listens to its shards alone with --live-rolled-up-views shards (LIVE_ROLLED_UP_VIEWS), and to every part by default', () => {
    const envOf = (options: ReturnType<typeof acmeShop>) => apiService(options).spec.template.spec.containers[0]!.env ?? [];
    expect(envOf(acmeShop({ liveRolledUpViews: 'shards' }))).toContainEqual({ name: 'LIVE_ROLLED_UP_VIEWS', value: 'shards' });
    expect(envOf(acmeShop()).map((variable) => variable.name)).not.toContain('LIVE_ROLLED_UP_VIEWS');
  });
});

describe('the key that protects customers’ data', () => {
  const envOf = (options: ReturnType<typeof acmeShop>) => apiService(options).spec.template.spec.containers[0]!.env ?? [];
  const functionDeploys = (changes: Change[]) =>
    changes.flatMap((c) => c.commands).filter((c) => c.kind === 'gcloud' && c.args[0] === 'functions' && c.args[1] === 'deploy');

  it('is created (a key ring, a software key rotated every 90 days), granted on the key, and passed as KMS_KEY_NAME', async () => {
    const options = acmeShop();
    const changes = await converge(desiredState(options), recordedCloud(freshProject(options)), { dryRun: true });
    expect(commandsById(changes)['kms-keyring']).toEqual(['kms keyrings create eventloom --location=europe-west1']);
    expect(commandsById(changes)['kms-key']).toEqual([
      'kms keys create customer-data --keyring=eventloom --location=europe-west1 --purpose=encryption --protection-level=software --rotation-period=90d --next-rotation-time=P90D',
    ]);
    expect(envOf(options)).toContainEqual({ name: 'KMS_KEY_NAME', value: KEY });
    // The pushed functions, the dead-letter sink and the two sweeps.
    expect(functionDeploys(changes).length).toBe(Object.keys(subscribers).length + 3);
    for (const deploy of functionDeploys(changes)) {
      expect(deploy.kind === 'gcloud' && deploy.args.find((a) => a.startsWith('--set-env-vars='))).toContain(`KMS_KEY_NAME=${KEY}`);
    }
  });

  it('with --kms-key-name, uses that key: checked and granted, never created', async () => {
    const given = 'projects/acme-security/locations/europe-west1/keyRings/shop/cryptoKeys/customers';
    const options = acmeShop({ kmsKeyName: given });
    const answers = freshProject(options);
    answers.set(`kms keys describe ${given}`, { name: given, purpose: 'ENCRYPT_DECRYPT' });
    const cloud = recordedCloud(answers);
    const changes = await converge(desiredState(options), cloud, { dryRun: true });
    const kms = changes.flatMap((c) => c.commands.map(key)).filter((c) => c.startsWith('kms '));
    expect(kms).toEqual(
      ['api', 'projector'].map(
        (name) => `kms keys add-iam-policy-binding ${given} --member=${sa(name)} --role=roles/cloudkms.cryptoKeyEncrypterDecrypter`,
      ),
    );
    expect(envOf(options)).toContainEqual({ name: 'KMS_KEY_NAME', value: given });
    for (const deploy of functionDeploys(changes)) {
      expect(deploy.kind === 'gcloud' && deploy.args.find((a) => a.startsWith('--set-env-vars='))).toContain(`KMS_KEY_NAME=${given}`);
    }
    // A key that is not there, or not one that encrypts, stops the run before anything uses it.
    await expect(converge(desiredState(options), recordedCloud(freshProject(options)), { dryRun: true })).rejects.toThrow(
      /kms-key: Cloud KMS key projects\/acme-security\/.* does not exist/,
    );
    answers.set(`kms keys describe ${given}`, { name: given, purpose: 'ASYMMETRIC_SIGN' });
    await expect(converge(desiredState(options), recordedCloud(answers), { dryRun: true })).rejects.toThrow(
      /kms-key: differs and cannot be changed in place \(purpose: ASYMMETRIC_SIGN → ENCRYPT_DECRYPT\)/,
    );
  });

  it('is kept as it is, its rotation put back when changed by hand, and never replaced when it cannot be changed', async () => {
    const options = acmeShop();
    const describe = 'kms keys describe customer-data --keyring=eventloom --location=europe-west1';
    const answers = deployedProject(options);
    const current = answers.get(describe) as object;
    answers.set(describe, { ...current, rotationPeriod: '31536000s' });
    const changes = await converge(desiredState(options), recordedCloud(answers), { dryRun: false });
    const keyChange = changes.find((c) => c.resource.id === 'kms-key')!;
    expect(keyChange.differences).toEqual(['rotation period: 31536000s → 7776000s']);
    expect(keyChange.commands.map(key)).toEqual([
      'kms keys update customer-data --keyring=eventloom --location=europe-west1 --rotation-period=90d --next-rotation-time=P90D',
    ]);

    answers.set(describe, { ...current, versionTemplate: { protectionLevel: 'HSM', algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION' } });
    const cloud = recordedCloud(answers);
    await expect(converge(desiredState(options), cloud, { dryRun: false })).rejects.toThrow(
      /kms-key: is ENCRYPT_DECRYPT at protection level HSM, which cannot be changed in place; keys are never destroyed/,
    );
    expect(cloud.applied().filter((c) => c.startsWith('kms '))).toEqual([]);
  });
});

describe('the payment deadline sweep', () => {
  const options = acmeShop();
  const job = 'scheduler-job:eventloom-payment-deadlines';
  const describeJob = 'scheduler jobs describe eventloom-payment-deadlines --location=europe-west1';
  const url = functionUrl(DEADLINE_SWEEP);
  const settings =
    '--schedule=* * * * * --time-zone=Etc/UTC --uri=URL --http-method=POST --oidc-service-account-email=eventloom-scheduler@acme-shop.iam.gserviceaccount.com --oidc-token-audience=URL --attempt-deadline=60s --max-retry-attempts=0 --description=Fires due payment deadlines: sweepPaymentDeadlines (docs/workflows.md)';

  it('is a function only Cloud Scheduler’s account may invoke, and whose tokens alone it accepts', async () => {
    const changes = await converge(desiredState(options), recordedCloud(freshProject(options)), { dryRun: true });
    const deploy = commandsById(changes)[`function:${DEADLINE_SWEEP}`]![0]!;
    expect(deploy).toMatch(
      /^functions deploy sweepPaymentDeadlines --gen2 .*--entry-point=sweepPaymentDeadlines --trigger-http --no-allow-unauthenticated /,
    );
    expect(deploy).toContain('PUSH_AUTH=required|PUSH_SERVICE_ACCOUNT=eventloom-scheduler@acme-shop.iam.gserviceaccount.com|');
    expect(commandsById(changes)[`grant:function:${DEADLINE_SWEEP}:roles/run.invoker:the scheduler invokes ${DEADLINE_SWEEP}`]).toEqual([
      `functions add-invoker-policy-binding ${DEADLINE_SWEEP} --region=europe-west1 --member=${sa('scheduler')}`,
    ]);
  });

  it('is called every minute by a Cloud Scheduler job: created, updated when its schedule or target differ, kept otherwise', async () => {
    const fresh = await converge(desiredState(options), recordedCloud(freshProject(options)), { dryRun: true });
    expect(commandsById(fresh)[job]).toEqual([
      `scheduler jobs create http eventloom-payment-deadlines --location=europe-west1 ${settings.replaceAll('URL', `<url of function:${DEADLINE_SWEEP}>`)}`,
    ]);

    const answers = deployedProject(options);
    const current = answers.get(describeJob) as { httpTarget: object };
    answers.set(describeJob, {
      ...current,
      schedule: '*/5 * * * *',
      httpTarget: {
        ...current.httpTarget,
        uri: 'https://old-sweep.a.run.app',
        oidcToken: {
          serviceAccountEmail: 'eventloom-scheduler@acme-shop.iam.gserviceaccount.com',
          audience: 'https://old-sweep.a.run.app',
        },
      },
    });
    const cloud = recordedCloud(answers);
    const changes = await converge(desiredState(options), cloud, { dryRun: false });
    const update = changes.find((c) => c.resource.id === job)!;
    expect(update.differences).toEqual([
      'schedule: */5 * * * * → * * * * *',
      `target: https://old-sweep.a.run.app → ${url}`,
      `token audience: https://old-sweep.a.run.app → ${url}`,
    ]);
    expect(cloud.applied()).toEqual([
      `scheduler jobs update http eventloom-payment-deadlines --location=europe-west1 ${settings.replaceAll('URL', url)}`,
    ]);

    const kept = await converge(desiredState(options), recordedCloud(deployedProject(options)), { dryRun: true });
    expect(kept.find((c) => c.resource.id === job)).toMatchObject({ action: 'unchanged', notes: [] });
  });

  it('reports a job paused by hand, and leaves it paused', async () => {
    const answers = deployedProject(options);
    answers.set(describeJob, { ...(answers.get(describeJob) as object), state: 'PAUSED' });
    const cloud = recordedCloud(answers);
    const changes = await converge(desiredState(options), cloud, { dryRun: false });
    expect(changes.find((c) => c.resource.id === job)).toMatchObject({
      action: 'unchanged',
      notes: ['paused: no deadline fires until `gcloud scheduler jobs resume eventloom-payment-deadlines --location=europe-west1`'],
    });
    expect(cloud.applied()).toEqual([]);
  });
});

describe('the API’s health probes', () => {
  it('start on /readyz without the read models, and restart only when /healthz stops answering', async () => {
    const options = acmeShop();
    const container = apiService(options).spec.template.spec.containers[0]!;
    expect(container.ports).toEqual([{ name: 'http1', containerPort: 8080 }]);
    expect(container.startupProbe).toEqual({
      httpGet: { path: '/startupz', port: 8080 },
      initialDelaySeconds: 0,
      periodSeconds: 5,
      timeoutSeconds: 5,
      failureThreshold: 24,
    });
    expect(container.livenessProbe).toEqual({
      httpGet: { path: '/healthz', port: 8080 },
      periodSeconds: 30,
      timeoutSeconds: 5,
      failureThreshold: 3,
    });
    // Cloud Run gives a startup probe at most 240 s.
    expect(container.startupProbe!.periodSeconds! * container.startupProbe!.failureThreshold!).toBeLessThanOrEqual(240);

    // A probe removed by hand is put back.
    const answers = deployedProject(options);
    const describe = 'run services describe eventloom-api --region=europe-west1';
    const service = structuredClone(answers.get(describe)) as {
      spec: { template: { spec: { containers: { livenessProbe?: object }[] } } };
    };
    delete service.spec.template.spec.containers[0]!.livenessProbe;
    answers.set(describe, service);
    const changes = await converge(desiredState(options), recordedCloud(answers), { dryRun: true });
    expect(changes.find((c) => c.resource.id === 'service:api')!.differences).toEqual([
      'livenessProbe: none → GET /healthz :8080 delay 0s every 30s timeout 5s × 3',
    ]);
  });
});

describe('filtered subscriptions when a filter changes', () => {
  const plain = pushSubscriptionName('projectOrderDetails');
  const current = subscriptionOf('projectOrderDetails').name;
  const retirement = `retired-subscriptions:${plain}`;

  it('creates the new generation beside the old, and keeps the old one, saying why, without --retire-old-subscriptions', async () => {
    const options = acmeShop();
    const answers = withEarlierRelease(options, deployedProject(options), 0);
    // The current generation is not there yet: the earlier release had only the unfiltered subscription.
    answers.delete(`pubsub subscriptions describe ${current}`);
    answers.delete(`pubsub subscriptions get-iam-policy ${current}`);
    const changes = await converge(desiredState(options), recordedCloud(answers), { dryRun: true });
    expect(commandsById(changes)[`subscription:${current}`]![0]).toMatch(
      new RegExp(`^pubsub subscriptions create ${current} --topic=eventloom-domain-events --message-filter=`),
    );
    const kept = changes.find((c) => c.resource.id === retirement)!;
    expect(kept.action).toBe('unchanged');
    expect(kept.notes).toEqual([
      `${plain}: kept (superseded by ${current}, both deliver): once its backlog is delivered, run again with --retire-old-subscriptions`,
    ]);
  });

  it('with --retire-old-subscriptions, deletes old generations once the new one was in service before this run', async () => {
    const options = acmeShop({ retireOldSubscriptions: true });
    const cloud = recordedCloud(withEarlierRelease(options, deployedProject(options), 0));
    const changes = await converge(desiredState(options), cloud, { dryRun: false });
    expect(cloud.applied().filter((c) => c.startsWith('pubsub subscriptions delete '))).toEqual(
      Object.keys(subscribers).map((fn) => `pubsub subscriptions delete ${pushSubscriptionName(fn)}`),
    );
    expect(changes.find((c) => c.resource.id === retirement)!.action).toBe('delete');
    // Only older generations of the same subscriber: never the current one, nor a dead-letter sink's subscription.
    expect(cloud.applied().some((c) => /delete .*(-f[0-9a-f]{8}|-dead-letters)$/.test(c))).toBe(false);
  });

  it('with --retire-old-subscriptions, still keeps an old generation whose successor this very run created', async () => {
    const options = acmeShop({ retireOldSubscriptions: true });
    const answers = withEarlierRelease(options, deployedProject(options), 0);
    answers.delete(`pubsub subscriptions describe ${current}`);
    answers.delete(`pubsub subscriptions get-iam-policy ${current}`);
    // After the create, the recorded cloud answers the re-read as the subscription now exists.
    const cloud = recordedCloud(answers);
    const run = cloud.run.bind(cloud);
    cloud.run = async (command, mode, previous) => {
      const result = await run(command, mode, previous);
      if (mode === 'apply' && key(command).startsWith(`pubsub subscriptions create ${current} `)) {
        answers.set(`pubsub subscriptions describe ${current}`, deployedProject(options).get(`pubsub subscriptions describe ${current}`));
      }
      return result;
    };
    const changes = await converge(desiredState(options), cloud, { dryRun: false });
    expect(cloud.applied()).toContain(`pubsub subscriptions delete ${pushSubscriptionName('projectInventoryCount')}`);
    expect(cloud.applied()).not.toContain(`pubsub subscriptions delete ${plain}`);
    expect(changes.find((c) => c.resource.id === retirement)!.notes).toEqual([
      `${plain}: kept: ${current} was not in service before this run; retire it on a later run, once ${current} has taken over`,
    ]);
  });

  it('shows in a dry run what it would delete', async () => {
    const options = acmeShop({ retireOldSubscriptions: true });
    const changes = await converge(desiredState(options), recordedCloud(withEarlierRelease(options, deployedProject(options), 0)), {
      dryRun: true,
    });
    expect(commandsById(changes)[retirement]).toEqual([`pubsub subscriptions delete ${plain}`]);
  });
});

describe('the outbox collection, gone', () => {
  const options = acmeShop();
  const index = 'retired-firestore-index:outbox:collection: pending ascending, createdAt ascending';
  const ttl = 'retired-firestore-ttl:outbox.expireAt';

  it('is no longer declared: no outbox index or TTL in firestore.indexes.json or in a fresh plan', async () => {
    expect(options.firestoreIndexes.indexes.some((i) => i.collectionGroup === 'outbox')).toBe(false);
    expect(options.firestoreIndexes.fieldOverrides.some((f) => f.collectionGroup === 'outbox')).toBe(false);
    const changes = await converge(desiredState(options), recordedCloud(freshProject(options)), { dryRun: true });
    expect(changes.flatMap((c) => c.commands.map(key)).filter((c) => c.includes('outbox'))).toEqual([]);
  });

  it('loses its index and, once it is empty, its TTL, after the new API is live', async () => {
    const cloud = recordedCloud(withEarlierRelease(options, deployedProject(options), 0));
    const changes = await converge(desiredState(options), cloud, { dryRun: false });
    expect(cloud.applied()).toEqual([
      'firestore indexes composite delete CICAgOi3kJAK --database=(default)',
      'firestore fields ttls update expireAt --collection-group=outbox --database=(default) --disable-ttl',
    ]);
    expect(changes.map((c) => c.resource.id).indexOf(index)).toBeGreaterThan(changes.map((c) => c.resource.id).indexOf('service:api'));
    // Not also reported as an undeclared index.
    expect(changes.find((c) => c.resource.id === 'firestore-indexes:undeclared')!.notes).toEqual([]);
  });

  it('keeps the TTL while legacy records are left for it to delete', async () => {
    const cloud = recordedCloud(withEarlierRelease(options, deployedProject(options), 3));
    const changes = await converge(desiredState(options), cloud, { dryRun: false });
    expect(cloud.applied()).toEqual(['firestore indexes composite delete CICAgOi3kJAK --database=(default)']);
    expect(changes.find((c) => c.resource.id === ttl)).toMatchObject({
      action: 'unchanged',
      notes: [expect.stringMatching(/^kept: the outbox collection still holds legacy records/)],
    });
  });
});
