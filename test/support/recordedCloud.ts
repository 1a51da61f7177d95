/**
 * A recorded Google Cloud for the deploy's converge tests: answers the reads the deploy makes with what
 * gcloud and the REST APIs print (their JSON shapes, written here from Google's API references, not from
 * the deploy's own code), records every command, and succeeds at every change. `freshProject` answers
 * "not found" to everything but the project and the signed-in account; `deployedProject` answers as a
 * project on which Eventloom is deployed exactly as desired; `with` overrides single answers ("exists,
 * different").
 */
import { readFileSync } from 'node:fs';
import { DEAD_LETTER_SINK, DEADLINE_SWEEP, ROLL_UP_SWEEP, subscribers } from '../../functions/projectors.ts';
import type { CloudClient, Command, CommandResult } from '../../scripts/deploy/converge.ts';
import {
  API_SERVICE,
  customerDataKeyName,
  type DeployOptions,
  firestoreIndexesSchema,
  REPOSITORY,
  SERVICES,
} from '../../scripts/deploy/desiredState.ts';
import {
  deadLetterSinkSubscriptionName,
  deadLetterTopicName,
  filteredSubscription,
  pushSubscriptionName,
} from '../../src/pubsub/topology.ts';

export const PROJECT_NUMBER = '123456789012';
export const DEPLOYER = 'platform@acme.example';
export const functionUrl = (fn: string) => `https://${fn.toLowerCase()}-abc123-ew.a.run.app`;
export const SERVICE_URL = 'https://eventloom-api-abc123-ew.a.run.app';

/** The deploy's options for a project `acme-shop`, with the repository's own Firestore indexes and rules. */
export function acmeShop(overrides: Partial<DeployOptions> = {}): DeployOptions {
  const file = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');
  return {
    project: 'acme-shop',
    region: 'europe-west1',
    subscribers,
    deadLetterSink: DEAD_LETTER_SINK,
    deadlineSweep: DEADLINE_SWEEP,
    rollUpSweep: ROLL_UP_SWEEP,
    domainEventsTopic: 'eventloom-domain-events',
    integrationEventsTopic: 'eventloom-integration-events',
    sourceVersion: '0123456789abcdef',
    firestoreIndexes: firestoreIndexesSchema.parse(JSON.parse(file('firestore.indexes.json'))),
    firestoreRules: file('firestore.rules'),
    firebaseApiKey: 'AIza-test-key',
    allowedOrigins: 'https://shop.example.com,https://admin.example.com',
    ...overrides,
  };
}

type Answer = unknown | ((command: Command) => unknown);

export interface RecordedCloud extends CloudClient {
  readonly commands: { readonly command: Command; readonly mode: 'read' | 'apply' }[];
  applied(): string[];
}

const notFound: CommandResult = { code: 1, stdout: '', stderr: 'ERROR: (gcloud) NOT_FOUND: Resource not found' };

/** Keys are the command as text without the flags every command carries (`--project`, `--quiet`, `--format=json`). */
export function recordedCloud(answers: ReadonlyMap<string, Answer>): RecordedCloud {
  const commands: { command: Command; mode: 'read' | 'apply' }[] = [];
  return {
    commands,
    applied: () => commands.filter((c) => c.mode === 'apply').map((c) => key(c.command)),
    async run(command, mode) {
      commands.push({ command, mode });
      if (mode === 'apply') {
        return { code: 0, stdout: command.kind === 'http' ? JSON.stringify({ name: `projects/p/rulesets/new-ruleset` }) : '', stderr: '' };
      }
      if (!answers.has(key(command))) return notFound;
      const answer = answers.get(key(command));
      const value = typeof answer === 'function' ? answer(command) : answer;
      return { code: 0, stdout: JSON.stringify(value), stderr: '' };
    },
  };
}

export function key(command: Command): string {
  if (command.kind === 'http') return `${command.method} ${command.url}`;
  return command.args.filter((a) => !/^--(project=|quiet$|format=json$)/.test(a)).join(' ');
}

/** A project with nothing of Eventloom's in it: only the project itself, and gcloud signed in. */
export function freshProject(o: DeployOptions): Map<string, Answer> {
  return new Map<string, Answer>([
    [`projects describe ${o.project}`, { projectId: o.project, projectNumber: PROJECT_NUMBER, lifecycleState: 'ACTIVE' }],
    ['config list', { core: { account: DEPLOYER, project: o.project } }],
    ['services list --enabled', []],
  ]);
}

/** A project on which the desired state is deployed as it is: every read answers "exists, same". */
export function deployedProject(o: DeployOptions): Map<string, Answer> {
  const P = o.project;
  const sa = (name: string) => `eventloom-${name}@${P}.iam.gserviceaccount.com`;
  const pubsubAgent = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
  const policy = (...bindings: [role: string, member: string][]) => ({
    etag: 'BwYabc=',
    bindings: bindings.map(([role, member]) => ({ role, members: [member] })),
  });
  const answers = freshProject(o);
  answers.set(
    'services list --enabled',
    [...SERVICES, 'logging.googleapis.com'].map((name) => ({ config: { name }, state: 'ENABLED' })),
  );
  answers.set('firestore databases describe --database=(default)', {
    name: `projects/${P}/databases/(default)`,
    type: 'FIRESTORE_NATIVE',
    locationId: o.region,
  });
  answers.set(
    'firestore indexes composite list --database=(default)',
    o.firestoreIndexes.indexes.map((index, i) => ({
      name: `projects/${P}/databases/(default)/collectionGroups/${index.collectionGroup}/indexes/CICAgOjXh4EK${i}`,
      queryScope: index.queryScope,
      // Firestore lists __name__ last in every composite index, whether the file says so or not.
      fields: [...index.fields.filter((f) => f.fieldPath !== '__name__'), { fieldPath: '__name__', order: 'ASCENDING' }],
      state: 'READY',
    })),
  );
  for (const override of o.firestoreIndexes.fieldOverrides) {
    answers.set(
      `firestore indexes fields describe ${override.fieldPath} --collection-group=${override.collectionGroup} --database=(default)`,
      {
        name: `projects/${P}/databases/(default)/collectionGroups/${override.collectionGroup}/fields/${override.fieldPath}`,
        indexConfig: {
          indexes: override.indexes.map((i) => ({
            queryScope: i.queryScope,
            fields: [{ fieldPath: override.fieldPath, ...(i.arrayConfig ? { arrayConfig: i.arrayConfig } : { order: i.order }) }],
            state: 'READY',
          })),
        },
        ...(override.ttl ? { ttlConfig: { state: 'ACTIVE' } } : {}),
      },
    );
  }
  const rules = 'https://firebaserules.googleapis.com/v1';
  answers.set(`GET ${rules}/projects/${P}/releases/cloud.firestore`, {
    name: `projects/${P}/releases/cloud.firestore`,
    rulesetName: `projects/${P}/rulesets/r1`,
  });
  answers.set(`GET ${rules}/projects/${P}/rulesets/r1`, {
    name: `projects/${P}/rulesets/r1`,
    source: { files: [{ name: 'firestore.rules', content: o.firestoreRules }] },
  });
  answers.set(`artifacts repositories describe ${REPOSITORY} --location=${o.region}`, {
    name: `projects/${P}/locations/${o.region}/repositories/${REPOSITORY}`,
    format: 'DOCKER',
  });
  answers.set(
    `artifacts repositories get-iam-policy ${REPOSITORY} --location=${o.region}`,
    policy(['roles/artifactregistry.writer', `serviceAccount:${sa('builder')}`]),
  );
  for (const name of ['api', 'projector', 'pusher', 'builder', 'scheduler']) {
    answers.set(`iam service-accounts describe ${sa(name)}`, { email: sa(name), displayName: `Eventloom: ${name}` });
    answers.set(
      `iam service-accounts get-iam-policy ${sa(name)}`,
      policy(
        ['roles/iam.serviceAccountUser', `user:${DEPLOYER}`],
        ...(name === 'pusher' ? [['roles/iam.serviceAccountTokenCreator', pubsubAgent] as [string, string]] : []),
      ),
    );
  }
  answers.set(`projects get-iam-policy ${P}`, {
    etag: 'BwYabc=',
    bindings: [
      {
        role: 'roles/cloudscheduler.serviceAgent',
        members: [`serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-cloudscheduler.iam.gserviceaccount.com`],
      },
      { role: 'roles/cloudtrace.agent', members: [`serviceAccount:${sa('api')}`, `serviceAccount:${sa('projector')}`] },
      { role: 'roles/datastore.user', members: [`serviceAccount:${sa('api')}`, `serviceAccount:${sa('projector')}`] },
      { role: 'roles/logging.logWriter', members: [`serviceAccount:${sa('builder')}`] },
      { role: 'roles/monitoring.metricWriter', members: [`serviceAccount:${sa('api')}`, `serviceAccount:${sa('projector')}`] },
      { role: 'roles/owner', members: [`user:${DEPLOYER}`] },
      { role: 'roles/storage.objectViewer', members: [`serviceAccount:${sa('builder')}`] },
    ],
  });
  const keyName = customerDataKeyName(o);
  const keyArgs = o.kmsKeyName ? o.kmsKeyName : `customer-data --keyring=eventloom --location=${o.region}`;
  if (!o.kmsKeyName)
    answers.set(`kms keyrings describe eventloom --location=${o.region}`, { name: keyName.replace(/\/cryptoKeys\/.*/, '') });
  answers.set(`kms keys describe ${keyArgs}`, {
    name: keyName,
    purpose: 'ENCRYPT_DECRYPT',
    primary: { name: `${keyName}/cryptoKeyVersions/1`, state: 'ENABLED', protectionLevel: 'SOFTWARE' },
    rotationPeriod: '7776000s',
    nextRotationTime: '2027-03-01T13:00:00Z',
    versionTemplate: { protectionLevel: 'SOFTWARE', algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION' },
    destroyScheduledDuration: '2592000s',
  });
  answers.set(`kms keys get-iam-policy ${keyArgs}`, {
    etag: 'BwYabc=',
    bindings: [
      {
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        members: [`serviceAccount:${sa('api')}`, `serviceAccount:${sa('projector')}`],
      },
    ],
  });
  const topic = (name: string) => `projects/${P}/topics/${name}`;
  for (const name of [o.domainEventsTopic, o.integrationEventsTopic]) {
    answers.set(`pubsub topics describe ${name}`, { name: topic(name) });
    answers.set(
      `pubsub topics get-iam-policy ${name}`,
      policy(
        ['roles/pubsub.publisher', `serviceAccount:${sa('api')}`],
        ...(name === o.domainEventsTopic ? [['roles/pubsub.viewer', `serviceAccount:${sa('api')}`] as [string, string]] : []),
      ),
    );
  }
  for (const fn of [...Object.keys(o.subscribers), o.deadLetterSink, o.deadlineSweep, o.rollUpSweep]) {
    const invoker = fn === o.deadlineSweep || fn === o.rollUpSweep ? 'scheduler' : 'pusher';
    const env = {
      NODE_ENV: 'production',
      GOOGLE_CLOUD_PROJECT: P,
      DOMAIN_EVENTS_TOPIC: o.domainEventsTopic,
      INTEGRATION_EVENTS_TOPIC: o.integrationEventsTopic,
      PUSH_AUTH: 'required',
      PUSH_SERVICE_ACCOUNT: sa(invoker),
      KMS_KEY_NAME: keyName,
      LOG_EXECUTION_ID: 'true',
    };
    answers.set(`functions describe ${fn} --gen2 --region=${o.region}`, {
      name: `projects/${P}/locations/${o.region}/functions/${fn}`,
      state: 'ACTIVE',
      environment: 'GEN_2',
      labels: { 'deployment-tool': 'cli-gcloud', 'eventloom-source': o.sourceVersion },
      buildConfig: { runtime: 'nodejs22', entryPoint: fn, serviceAccount: `projects/${P}/serviceAccounts/${sa('builder')}` },
      serviceConfig: {
        uri: functionUrl(fn),
        service: `projects/${P}/locations/${o.region}/services/${fn.toLowerCase()}`,
        serviceAccountEmail: sa('projector'),
        environmentVariables: env,
        maxInstanceRequestConcurrency: 80,
        availableCpu: '1',
        availableMemory: '512Mi',
        maxInstanceCount: 20,
      },
    });
    answers.set(
      `run services get-iam-policy ${fn.toLowerCase()} --region=${o.region}`,
      policy(['roles/run.invoker', `serviceAccount:${sa(invoker)}`]),
    );
  }
  const subscription = (name: string, topicName: string, fn: string, deadLetterTopic?: string, filter?: string) => ({
    name: `projects/${P}/subscriptions/${name}`,
    topic: topic(topicName),
    ...(filter ? { filter } : {}),
    pushConfig: { pushEndpoint: functionUrl(fn), oidcToken: { serviceAccountEmail: sa('pusher'), audience: functionUrl(fn) } },
    ackDeadlineSeconds: 30,
    messageRetentionDuration: '604800s',
    retryPolicy: { minimumBackoff: '1s', maximumBackoff: '60s' },
    ...(deadLetterTopic ? { deadLetterPolicy: { deadLetterTopic: topic(deadLetterTopic), maxDeliveryAttempts: 5 } } : {}),
    state: 'ACTIVE',
  });
  const onDomainTopic: string[] = [];
  for (const [fn, eventTypes] of Object.entries(o.subscribers)) {
    const plain = pushSubscriptionName(fn);
    const { name, filter } = filteredSubscription(plain, eventTypes);
    const deadLetters = deadLetterTopicName(plain);
    answers.set(`pubsub topics describe ${deadLetters}`, { name: topic(deadLetters) });
    answers.set(`pubsub topics get-iam-policy ${deadLetters}`, policy(['roles/pubsub.publisher', pubsubAgent]));
    answers.set(`pubsub subscriptions describe ${name}`, subscription(name, o.domainEventsTopic, fn, deadLetters, filter));
    answers.set(`pubsub subscriptions get-iam-policy ${name}`, policy(['roles/pubsub.subscriber', pubsubAgent]));
    answers.set(
      `pubsub subscriptions describe ${deadLetterSinkSubscriptionName(plain)}`,
      subscription(deadLetterSinkSubscriptionName(plain), deadLetters, o.deadLetterSink),
    );
    onDomainTopic.push(`projects/${P}/subscriptions/${name}`);
  }
  // `gcloud pubsub topics list-subscriptions` prints the subscriptions' full names.
  answers.set(`pubsub topics list-subscriptions ${o.domainEventsTopic}`, onDomainTopic);
  const image = `${o.region}-docker.pkg.dev/${P}/${REPOSITORY}/${API_SERVICE}:${o.sourceVersion}`;
  answers.set(`artifacts docker images describe ${image}`, {
    image_summary: { fully_qualified_digest: `${image}@sha256:0123`, digest: 'sha256:0123' },
  });
  answers.set(`run services describe ${API_SERVICE} --region=${o.region}`, {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: API_SERVICE, namespace: PROJECT_NUMBER, annotations: { 'run.googleapis.com/ingress': 'all' } },
    spec: {
      template: {
        metadata: {
          annotations: {
            'autoscaling.knative.dev/minScale': '1',
            'autoscaling.knative.dev/maxScale': String(o.maxInstances ?? 10),
            'run.googleapis.com/cpu-throttling': 'false',
            'run.googleapis.com/startup-cpu-boost': 'true',
          },
        },
        spec: {
          containerConcurrency: 80,
          timeoutSeconds: 3600,
          serviceAccountName: sa('api'),
          containers: [
            {
              image,
              ports: [{ name: 'http1', containerPort: 8080 }],
              env: [
                { name: 'NODE_ENV', value: 'production' },
                { name: 'GOOGLE_CLOUD_PROJECT', value: P },
                { name: 'DOMAIN_EVENTS_TOPIC', value: o.domainEventsTopic },
                { name: 'INTEGRATION_EVENTS_TOPIC', value: o.integrationEventsTopic },
                { name: 'AUTH_PROJECT_ID', value: P },
                ...(o.firebaseApiKey ? [{ name: 'FIREBASE_API_KEY', value: o.firebaseApiKey }] : []),
                ...(o.allowedOrigins ? [{ name: 'ALLOWED_ORIGINS', value: o.allowedOrigins }] : []),
                { name: 'KMS_KEY_NAME', value: keyName },
              ],
              resources: { limits: { cpu: '1000m', memory: '512Mi' } },
              // As Cloud Run answers: what was set, with the defaults it adds.
              startupProbe: {
                httpGet: { path: '/startupz', port: 8080 },
                initialDelaySeconds: 0,
                timeoutSeconds: 5,
                periodSeconds: 5,
                failureThreshold: 24,
              },
              livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, timeoutSeconds: 5, periodSeconds: 30, failureThreshold: 3 },
            },
          ],
        },
      },
      traffic: [{ percent: 100, latestRevision: true }],
    },
    status: { url: SERVICE_URL, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  answers.set(`run services get-iam-policy ${API_SERVICE} --region=${o.region}`, policy(['roles/run.invoker', 'allUsers']));
  const jobs = [
    {
      job: 'eventloom-payment-deadlines',
      fn: o.deadlineSweep,
      description: `Fires due payment deadlines: ${o.deadlineSweep} (docs/workflows.md)`,
    },
    {
      job: 'eventloom-roll-ups',
      fn: o.rollUpSweep,
      description: `Folds pending contributions into the sales dashboard: ${o.rollUpSweep} (docs/capacity.md)`,
    },
  ];
  for (const { job, fn, description } of jobs) {
    answers.set(`scheduler jobs describe ${job} --location=${o.region}`, {
      name: `projects/${P}/locations/${o.region}/jobs/${job}`,
      description,
      httpTarget: {
        uri: functionUrl(fn),
        httpMethod: 'POST',
        headers: { 'User-Agent': 'Google-Cloud-Scheduler' },
        oidcToken: { serviceAccountEmail: sa('scheduler'), audience: functionUrl(fn) },
      },
      userUpdateTime: '2026-11-30T10:00:00Z',
      state: 'ENABLED',
      schedule: '* * * * *',
      timeZone: 'Etc/UTC',
      attemptDeadline: '60s',
      retryConfig: { maxRetryDuration: '0s', minBackoffDuration: '5s', maxBackoffDuration: '3600s', maxDoublings: 5 },
    });
  }
  return answers;
}

/**
 * A project deployed by an earlier release: each subscriber's unfiltered subscription (`projector-<read model>`)
 * beside the current generation, the `outbox` collection's composite index and TTL, and `legacyRecords` outbox
 * documents still there.
 */
export function withEarlierRelease(o: DeployOptions, answers: Map<string, Answer>, legacyRecords: number): Map<string, Answer> {
  const P = o.project;
  const list = `pubsub topics list-subscriptions ${o.domainEventsTopic}`;
  answers.set(list, [
    ...(answers.get(list) as string[]),
    ...Object.keys(o.subscribers).map((fn) => `projects/${P}/subscriptions/${pushSubscriptionName(fn)}`),
  ]);
  const indexes = 'firestore indexes composite list --database=(default)';
  answers.set(indexes, [
    ...(answers.get(indexes) as object[]),
    {
      name: `projects/${P}/databases/(default)/collectionGroups/outbox/indexes/CICAgOi3kJAK`,
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'pending', order: 'ASCENDING' },
        { fieldPath: 'createdAt', order: 'ASCENDING' },
        { fieldPath: '__name__', order: 'ASCENDING' },
      ],
      state: 'READY',
    },
  ]);
  answers.set('firestore indexes fields describe expireAt --collection-group=outbox --database=(default)', {
    name: `projects/${P}/databases/(default)/collectionGroups/outbox/fields/expireAt`,
    indexConfig: {},
    ttlConfig: { state: 'ACTIVE' },
  });
  answers.set(
    `GET https://firestore.googleapis.com/v1/projects/${P}/databases/(default)/documents/outbox?pageSize=1&mask.fieldPaths=expireAt`,
    legacyRecords === 0
      ? {}
      : {
          documents: [{ name: `projects/${P}/databases/(default)/documents/outbox/batch-1`, fields: {} }],
          nextPageToken: legacyRecords > 1 ? 'next' : undefined,
        },
  );
  return answers;
}
