import { beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_SINK, projections, projectors } from '../functions/projectors.ts';
import { type Change, type CloudClient, type Command, converge, DeployError, type Resource } from '../scripts/deploy/converge.ts';
import { apiService, desiredState } from '../scripts/deploy/desiredState.ts';
import { deadLetterTopicName, pushSubscriptionName } from '../src/pubsub/topology.ts';
import { acmeShop, deployedProject, freshProject, functionUrl, key, PROJECT_NUMBER, recordedCloud } from './support/recordedCloud.ts';

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
    expect(lines).toEqual(plan.map((r) => (r.mustExist || r.notes ? `unchanged ${r.id}` : `create ${r.id}`)));
    expect(fresh.applied()).toEqual([]);
  });

  it('enables every API first, IAM among them (service accounts need it), and passes --quiet and --project to every gcloud command', () => {
    expect(commands.slice(0, 9).every((c) => c.startsWith('services enable '))).toBe(true);
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

  it('creates topics, functions, subscriptions and dead letters before the API goes live, and the API last', () => {
    const api = position(/^run services replace /);
    const image = position(/^builds submit /);
    for (const fn of Object.keys(projectors)) {
      const subscription = pushSubscriptionName(fn);
      const deadLetterTopic = position(new RegExp(`^pubsub topics create ${deadLetterTopicName(subscription)}$`));
      const deployed = position(new RegExp(`^functions deploy ${fn} `));
      const created = position(new RegExp(`^pubsub subscriptions create ${subscription} `));
      const deadLetters = position(new RegExp(`^pubsub subscriptions create ${subscription}-dead-letters `));
      expect(deadLetterTopic).toBeLessThan(created);
      expect(deployed).toBeLessThan(created);
      expect(Math.max(created, deadLetters)).toBeLessThan(api);
    }
    expect(position(/^pubsub topics create eventloom-domain-events$/)).toBeLessThan(api);
    expect(image).toBeLessThan(api);
    expect(api).toBe(commands.length - 2); // then only: anyone may reach it
  });

  it('has one projector function for every read model, and none without one', () => {
    expect(new Set(Object.values(projectors))).toEqual(new Set(projections));
    for (const fn of [...Object.keys(projectors), DEAD_LETTER_SINK]) {
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
    const sa = (name: string) => `serviceAccount:eventloom-${name}@acme-shop.iam.gserviceaccount.com`;
    for (const fn of Object.keys(projectors)) {
      const subscription = pushSubscriptionName(fn);
      expect(commands).toContain(
        `pubsub topics add-iam-policy-binding ${deadLetterTopicName(subscription)} --member=${agent} --role=roles/pubsub.publisher`,
      );
      expect(commands).toContain(
        `pubsub subscriptions add-iam-policy-binding ${subscription} --member=${agent} --role=roles/pubsub.subscriber`,
      );
      // The grant on a subscription follows its creation.
      expect(position(new RegExp(`^pubsub subscriptions create ${subscription} `))).toBeLessThan(
        position(new RegExp(`^pubsub subscriptions add-iam-policy-binding ${subscription} `)),
      );
    }
    for (const fn of [...Object.keys(projectors), DEAD_LETTER_SINK]) {
      expect(commands).toContain(`functions add-invoker-policy-binding ${fn} --region=europe-west1 --member=${sa('pusher')}`);
    }
    expect(commands).toContain(
      `iam service-accounts add-iam-policy-binding eventloom-pusher@acme-shop.iam.gserviceaccount.com --member=${agent} --role=roles/iam.serviceAccountTokenCreator`,
    );
    for (const name of ['api', 'projector', 'pusher', 'builder']) {
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
      `--member=${sa('api')} --role=roles/datastore.user`,
      `--member=${sa('builder')} --role=roles/logging.logWriter`,
      `--member=${sa('builder')} --role=roles/storage.objectViewer`,
      `--member=${sa('projector')} --role=roles/datastore.user`,
    ]);
    expect(commands).toContain(
      'run services add-iam-policy-binding eventloom-api --region=europe-west1 --member=allUsers --role=roles/run.invoker',
    );
  });

  it('pushes as the pusher, with the URL of the function it pushes to as audience, and dead-letters after 5 attempts', () => {
    const create = changes.find((c) => c.resource.id === 'subscription:projector-customer-order-history')!.commands.map(key)[0];
    expect(create).toBe(
      'pubsub subscriptions create projector-customer-order-history --topic=eventloom-domain-events ' +
        '--push-endpoint=<url of function:projectCustomerOrderHistory> --push-auth-service-account=eventloom-pusher@acme-shop.iam.gserviceaccount.com ' +
        '--push-auth-token-audience=<url of function:projectCustomerOrderHistory> --ack-deadline=30 --min-retry-delay=1s --max-retry-delay=60s ' +
        '--dead-letter-topic=projector-customer-order-history-dead-letter --max-delivery-attempts=5',
    );
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
    const subscription = 'pubsub subscriptions describe projector-inventory-count';
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
      ...[...Object.keys(projectors), DEAD_LETTER_SINK].map((fn) => `function:${fn}`),
      'subscription:projector-inventory-count',
      'image',
      'service:api',
    ]);
    const sub = changed.find((c) => c.resource.id === 'subscription:projector-inventory-count')!;
    expect(sub.differences).toEqual([
      `push endpoint: https://old.example → ${functionUrl('projectInventoryCount')}`,
      `push audience: https://old.example → ${functionUrl('projectInventoryCount')}`,
      'minimum backoff: 10s → 1s',
    ]);
    expect(sub.commands.map(key)[0]).toMatch(
      /^pubsub subscriptions update projector-inventory-count --push-endpoint=https:\/\/projectinventorycount-/,
    );
    expect(changed.find((c) => c.resource.id === 'service:api')!.differences).toEqual([
      'image: europe-west1-docker.pkg.dev/acme-shop/eventloom/eventloom-api:0123456789abcdef → europe-west1-docker.pkg.dev/acme-shop/eventloom/eventloom-api:fedcba9876543210',
    ]);
    expect(cloudWithDrift.applied().filter((c) => c.startsWith('run services replace'))).toEqual([
      'run services replace .deploy/eventloom-api.service.json --region=europe-west1',
    ]);
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

  it('stops rather than reuse a subscription that reads another topic', async () => {
    const answers = deployedProject(options);
    const subscription = 'pubsub subscriptions describe projector-order-details';
    answers.set(subscription, { ...(answers.get(subscription) as object), topic: 'projects/acme-shop/topics/something-else' });
    await expect(converge(desiredState(options), recordedCloud(answers), { dryRun: true })).rejects.toThrow(
      /subscription:projector-order-details: reads projects\/acme-shop\/topics\/something-else, not eventloom-domain-events/,
    );
  });

  it('stops when gcloud is not signed in, before reading anything else', async () => {
    const answers = deployedProject(options);
    answers.set('config list', { core: { project: 'acme-shop' } });
    await expect(converge(desiredState(options), recordedCloud(answers), { dryRun: true })).rejects.toThrow(/gcloud auth login/);
  });
});

describe('the key that protects customers’ data', () => {
  it('is passed to the API and every function as KMS_KEY_NAME when given, and left out otherwise', async () => {
    const key = 'projects/acme-shop/locations/europe-west1/keyRings/eventloom/cryptoKeys/customer-data';
    const envOf = (options: ReturnType<typeof acmeShop>) => apiService(options).spec.template.spec.containers[0]!.env ?? [];
    expect(envOf(acmeShop({ kmsKeyName: key }))).toContainEqual({ name: 'KMS_KEY_NAME', value: key });
    expect(envOf(acmeShop()).some((e: { name: string }) => e.name === 'KMS_KEY_NAME')).toBe(false);

    const options = acmeShop({ kmsKeyName: key });
    const changes = await converge(desiredState(options), recordedCloud(freshProject(options)), { dryRun: true });
    const functionDeploys = changes
      .flatMap((c) => c.commands)
      .filter((c) => c.kind === 'gcloud' && c.args[0] === 'functions' && c.args[1] === 'deploy');
    expect(functionDeploys.length).toBeGreaterThan(0);
    for (const deploy of functionDeploys) {
      expect(deploy.kind === 'gcloud' && deploy.args.find((a) => a.startsWith('--set-env-vars='))).toContain(`KMS_KEY_NAME=${key}`);
    }
  });
});
