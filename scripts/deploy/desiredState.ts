/**
 * Eventloom on Google Cloud, as data: every resource the deploy converges on, in the order it is applied.
 * `npm run deploy` reads each one and creates, updates or keeps it (scripts/deploy/converge.ts); `--dry-run`
 * prints what would change. Names come from the local topology (src/pubsub/topology.ts), so dev, tests and the
 * cloud agree; Firestore indexes, field overrides and TTLs come from firestore.indexes.json, rules from
 * firestore.rules.
 *
 * Order: APIs → Firestore (database, indexes, TTLs, rules) → Artifact Registry → service accounts and their
 * grants → topics → projector functions → push subscriptions and dead letters → the Pub/Sub service agent's
 * grants → the API on Cloud Run, last, so no event is published before something reads its topic.
 *
 * Push authentication: every subscription pushes as eventloom-pusher with the URL of the function it pushes to
 * as audience, and every function accepts only that account's tokens for its own URL (PUSH_SERVICE_ACCOUNT;
 * PUSH_AUDIENCE unset means its own URL).
 *
 * Grants are bound on the resource wherever it has an IAM policy (topics, subscriptions, service accounts, the
 * repository, the services); only what has none below the project is bound on the project: Firestore access
 * (roles/datastore.user), and the build account's log writing and source reading (the source buckets are created
 * by Cloud Build and Cloud Functions on first use).
 */
import { z } from 'zod';
import { deadLetterSinkSubscriptionName, deadLetterTopicName, pushSubscriptionName } from '../../src/pubsub/topology.ts';
import { type Command, DeployError, type Outputs, type Read, type Resource } from './converge.ts';

export interface DeployOptions {
  readonly project: string;
  readonly region: string;
  readonly functions: readonly string[];
  readonly deadLetterSink: string;
  readonly domainEventsTopic: string;
  readonly integrationEventsTopic: string;
  /** A hash of the source: the image tag and a label on each function, so unchanged code is not rebuilt. */
  readonly sourceVersion: string;
  readonly firestoreIndexes: FirestoreIndexes;
  readonly firestoreRules: string;
  /** The Firebase web app's API key, for the dashboard's sign-in (public: it names the project and grants nothing). */
  readonly firebaseApiKey?: string;
  /** Browser origins allowed to call the API (CORS, WebSocket Origin), comma-separated. */
  readonly allowedOrigins?: string;
  /** The most API instances Cloud Run may start. Default 10. */
  readonly maxInstances?: number;
  /**
   * The Cloud KMS key that wraps customers' data keys (docs/privacy.md): in production the API and the functions
   * refuse to start without it. Created and granted by hand for now (docs/deploy.md), then passed here.
   */
  readonly kmsKeyName?: string;
}

const fieldSchema = z.object({
  fieldPath: z.string(),
  order: z.enum(['ASCENDING', 'DESCENDING']).optional(),
  arrayConfig: z.literal('CONTAINS').optional(),
});
const queryScopeSchema = z.enum(['COLLECTION', 'COLLECTION_GROUP']);
/** firestore.indexes.json, the file the Firebase CLI reads: kept as the one place indexes are declared. */
export const firestoreIndexesSchema = z.object({
  indexes: z.array(z.object({ collectionGroup: z.string(), queryScope: queryScopeSchema, fields: z.array(fieldSchema).min(1) })),
  fieldOverrides: z
    .array(
      z.object({
        collectionGroup: z.string(),
        fieldPath: z.string(),
        ttl: z.boolean().optional(),
        indexes: z.array(
          z.object({
            queryScope: queryScopeSchema,
            order: z.enum(['ASCENDING', 'DESCENDING']).optional(),
            arrayConfig: z.literal('CONTAINS').optional(),
          }),
        ),
      }),
    )
    .default([]),
});
export type FirestoreIndexes = z.infer<typeof firestoreIndexesSchema>;

/** APIs the deploy needs; iam creates the service accounts, firebaserules takes the security rules. */
export const SERVICES = [
  'iam.googleapis.com',
  'run.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudbuild.googleapis.com',
  'artifactregistry.googleapis.com',
  'pubsub.googleapis.com',
  'firestore.googleapis.com',
  'firebaserules.googleapis.com',
  // Identity Platform: the ID tokens every API request carries, and the staff accounts' roles.
  'identitytoolkit.googleapis.com',
] as const;

export const API_SERVICE = 'eventloom-api';
export const REPOSITORY = 'eventloom';
const ACCOUNTS = {
  api: 'the API',
  projector: 'the projector functions',
  pusher: 'Pub/Sub push (OIDC)',
  builder: 'Cloud Build (images and function builds)',
} as const;
type Account = keyof typeof ACCOUNTS;

const DATABASE = '--database=(default)';
// IAM sees a new service account a few seconds after it is created; bindings to it fail until then.
const IAM_NOT_YET = /does not exist|not found/i;

export function desiredState(o: DeployOptions): Resource[] {
  const P = o.project;
  const gcloud = (...args: string[]): Command => ({ kind: 'gcloud', args: [...args, `--project=${P}`, '--quiet'] });
  const read = (...args: string[]): Command => gcloud(...args, '--format=json');
  const email = (account: Account) => `eventloom-${account}@${P}.iam.gserviceaccount.com`;
  const member = (account: Account) => `serviceAccount:${email(account)}`;
  const pubsubAgent = (outputs: Outputs) =>
    `serviceAccount:service-${outputs.get('project', 'number')}@gcp-sa-pubsub.iam.gserviceaccount.com`;
  const api = (name: string) => `api:${name}`;
  const image = apiImage(o);
  const resources: Resource[] = [];

  resources.push(
    {
      id: 'deployer',
      what: 'the account gcloud deploys as',
      read: () => ({ command: read('config', 'list'), select: (answer) => (answer as { core?: { account?: string } }).core?.account }),
      mustExist: 'gcloud is not signed in: run `gcloud auth login` (or activate a service account) first',
      create: () => [],
      outputs: (account) => ({
        member: `${String(account).endsWith('.gserviceaccount.com') ? 'serviceAccount' : 'user'}:${String(account)}`,
      }),
    },
    {
      id: 'project',
      what: `project ${P}`,
      read: () => ({ command: read('projects', 'describe', P) }),
      mustExist: `project ${P} does not exist, or the signed-in account cannot see it`,
      create: () => [],
      outputs: (current) => ({ number: String((current as { projectNumber: string }).projectNumber) }),
    },
  );

  for (const service of SERVICES) {
    resources.push({
      id: api(service),
      what: `API ${service}`,
      read: () => ({
        command: read('services', 'list', '--enabled'),
        select: (answer) => (answer as { config: { name: string } }[]).find((s) => s.config.name === service),
      }),
      create: () => [gcloud('services', 'enable', service)],
    });
  }

  resources.push(...firestoreResources(o, gcloud, read));

  resources.push({
    id: 'repository',
    what: `Artifact Registry repository ${REPOSITORY} (the API image and the function builds)`,
    needs: [api('artifactregistry.googleapis.com')],
    read: () => ({ command: read('artifacts', 'repositories', 'describe', REPOSITORY, `--location=${o.region}`) }),
    create: () => [
      gcloud(
        'artifacts',
        'repositories',
        'create',
        REPOSITORY,
        '--repository-format=docker',
        `--location=${o.region}`,
        '--description=Eventloom images',
      ),
    ],
    differences: (current) => differ('format', (current as { format?: string }).format, 'DOCKER'),
  });

  for (const [account, role] of Object.entries(ACCOUNTS) as [Account, string][]) {
    resources.push({
      id: `account:${account}`,
      what: `service account ${email(account)}`,
      needs: [api('iam.googleapis.com')],
      read: () => ({ command: read('iam', 'service-accounts', 'describe', email(account)) }),
      create: () => [gcloud('iam', 'service-accounts', 'create', `eventloom-${account}`, `--display-name=Eventloom: ${role}`)],
    });
  }

  // Who may do what. `target` says where the role is bound; see the module comment for why some are project-wide.
  const grants: Grant[] = [
    { what: 'the API reads and writes Firestore', target: projectTarget(P), member: () => member('api'), role: 'roles/datastore.user' },
    {
      what: 'the projectors read and write Firestore',
      target: projectTarget(P),
      member: () => member('projector'),
      role: 'roles/datastore.user',
    },
    { what: 'builds write their logs', target: projectTarget(P), member: () => member('builder'), role: 'roles/logging.logWriter' },
    {
      what: 'builds read the uploaded source',
      target: projectTarget(P),
      member: () => member('builder'),
      role: 'roles/storage.objectViewer',
    },
    {
      what: 'builds push images',
      target: {
        id: 'repository',
        read: ['artifacts', 'repositories', 'get-iam-policy', REPOSITORY, `--location=${o.region}`],
        add: ['artifacts', 'repositories', 'add-iam-policy-binding', REPOSITORY, `--location=${o.region}`],
      },
      member: () => member('builder'),
      role: 'roles/artifactregistry.writer',
    },
    ...(Object.keys(ACCOUNTS) as Account[]).map(
      (account): Grant => ({
        what: `the deployer may run things as ${account}`,
        target: serviceAccountTarget(email(account), `account:${account}`),
        member: (outputs) => outputs.get('deployer', 'member'),
        role: 'roles/iam.serviceAccountUser',
      }),
    ),
    {
      // Needed in projects created before 8 April 2021; harmless in newer ones.
      what: 'Pub/Sub signs push tokens as the pusher',
      target: serviceAccountTarget(email('pusher'), 'account:pusher'),
      member: pubsubAgent,
      role: 'roles/iam.serviceAccountTokenCreator',
    },
  ];
  for (const grant of grants) resources.push(binding(grant, gcloud, read));

  const topics = [o.domainEventsTopic, o.integrationEventsTopic];
  for (const topic of topics) resources.push(topicResource(topic, gcloud, read));
  for (const topic of topics) {
    resources.push(
      binding(
        { what: `the API publishes to ${topic}`, target: topicTarget(topic), member: () => member('api'), role: 'roles/pubsub.publisher' },
        gcloud,
        read,
      ),
    );
  }
  for (const fn of o.functions) resources.push(topicResource(deadLetterTopicName(pushSubscriptionName(fn)), gcloud, read));

  const functionEnv = {
    NODE_ENV: 'production',
    GOOGLE_CLOUD_PROJECT: P,
    DOMAIN_EVENTS_TOPIC: o.domainEventsTopic,
    INTEGRATION_EVENTS_TOPIC: o.integrationEventsTopic,
    PUSH_AUTH: 'required',
    PUSH_SERVICE_ACCOUNT: email('pusher'),
    ...(o.kmsKeyName ? { KMS_KEY_NAME: o.kmsKeyName } : {}),
  };
  for (const fn of [...o.functions, o.deadLetterSink]) {
    const deploy = () => [
      gcloud(
        'functions',
        'deploy',
        fn,
        '--gen2',
        '--runtime=nodejs22',
        `--region=${o.region}`,
        '--source=.',
        `--entry-point=${fn}`,
        '--trigger-http',
        '--no-allow-unauthenticated',
        `--service-account=${email('projector')}`,
        `--build-service-account=projects/${P}/serviceAccounts/${email('builder')}`,
        `--docker-repository=projects/${P}/locations/${o.region}/repositories/${REPOSITORY}`,
        `--set-env-vars=${envFlag(functionEnv)}`,
        `--update-labels=eventloom-source=${o.sourceVersion}`,
      ),
    ];
    resources.push({
      id: `function:${fn}`,
      what: `Cloud Function ${fn}`,
      needs: [api('cloudfunctions.googleapis.com')],
      read: () => ({ command: read('functions', 'describe', fn, '--gen2', `--region=${o.region}`) }),
      create: deploy,
      update: deploy,
      differences: (current) => {
        const f = current as CloudFunction;
        const env = { ...f.serviceConfig?.environmentVariables };
        delete env.LOG_EXECUTION_ID; // added by Cloud Functions
        return [
          ...differ('state', f.state, 'ACTIVE'),
          ...differ('source version', f.labels?.['eventloom-source'], o.sourceVersion),
          ...differ('runtime', f.buildConfig?.runtime, 'nodejs22'),
          ...differ('entry point', f.buildConfig?.entryPoint, fn),
          ...differ('service account', f.serviceConfig?.serviceAccountEmail, email('projector')),
          ...differ('build service account', f.buildConfig?.serviceAccount, `projects/${P}/serviceAccounts/${email('builder')}`),
          ...differ('environment', sortedJson(env), sortedJson(functionEnv)),
        ];
      },
      outputs: (current) => {
        const f = current as CloudFunction;
        return { url: f.serviceConfig?.uri ?? '', service: (f.serviceConfig?.service ?? '').split('/').pop() ?? '' };
      },
    });
    resources.push(
      binding(
        {
          what: `the pusher invokes ${fn}`,
          target: {
            id: `function:${fn}`,
            read: (outputs) => ['run', 'services', 'get-iam-policy', outputs.get(`function:${fn}`, 'service'), `--region=${o.region}`],
            add: ['functions', 'add-invoker-policy-binding', fn, `--region=${o.region}`],
            noRole: true,
          },
          member: () => member('pusher'),
          role: 'roles/run.invoker',
        },
        gcloud,
        read,
      ),
    );
  }

  const retry = { ackDeadlineSeconds: 30, minimumBackoff: '1s', maximumBackoff: '60s' };
  const pushSubscription = (name: string, topic: string, fn: string, deadLetterTopic?: string): Resource => {
    const url = (outputs: Outputs) => outputs.get(`function:${fn}`, 'url');
    const settings = (outputs: Outputs) => [
      `--push-endpoint=${url(outputs)}`,
      `--push-auth-service-account=${email('pusher')}`,
      `--push-auth-token-audience=${url(outputs)}`,
      `--ack-deadline=${retry.ackDeadlineSeconds}`,
      `--min-retry-delay=${retry.minimumBackoff}`,
      `--max-retry-delay=${retry.maximumBackoff}`,
      ...(deadLetterTopic ? [`--dead-letter-topic=${deadLetterTopic}`, '--max-delivery-attempts=5'] : []),
    ];
    return {
      id: `subscription:${name}`,
      what: `push subscription ${name} (${topic} → ${fn})`,
      needs: [`topic:${topic}`, ...(deadLetterTopic ? [`topic:${deadLetterTopic}`] : [])],
      read: () => ({ command: read('pubsub', 'subscriptions', 'describe', name) }),
      create: (outputs) => [gcloud('pubsub', 'subscriptions', 'create', name, `--topic=${topic}`, ...settings(outputs))],
      update: (outputs, current) => {
        if ((current as Subscription).topic !== `projects/${P}/topics/${topic}`) {
          throw new DeployError(
            `subscription:${name}`,
            `reads ${(current as Subscription).topic}, not ${topic}: delete it to have it recreated`,
          );
        }
        return [gcloud('pubsub', 'subscriptions', 'update', name, ...settings(outputs))];
      },
      differences: (current, outputs) => {
        const s = current as Subscription;
        return [
          ...differ('topic', s.topic, `projects/${P}/topics/${topic}`),
          ...differ('push endpoint', s.pushConfig?.pushEndpoint, url(outputs)),
          ...differ('push account', s.pushConfig?.oidcToken?.serviceAccountEmail, email('pusher')),
          ...differ('push audience', s.pushConfig?.oidcToken?.audience, url(outputs)),
          ...differ('ack deadline', s.ackDeadlineSeconds, retry.ackDeadlineSeconds),
          ...differ('minimum backoff', s.retryPolicy?.minimumBackoff, retry.minimumBackoff),
          ...differ('maximum backoff', s.retryPolicy?.maximumBackoff, retry.maximumBackoff),
          ...(deadLetterTopic
            ? [
                ...differ('dead-letter topic', s.deadLetterPolicy?.deadLetterTopic, `projects/${P}/topics/${deadLetterTopic}`),
                ...differ('max delivery attempts', s.deadLetterPolicy?.maxDeliveryAttempts, 5),
              ]
            : []),
        ];
      },
    };
  };
  for (const fn of o.functions) {
    const subscription = pushSubscriptionName(fn);
    const deadLetterTopic = deadLetterTopicName(subscription);
    resources.push(pushSubscription(deadLetterSinkSubscriptionName(subscription), deadLetterTopic, o.deadLetterSink));
    resources.push(pushSubscription(subscription, o.domainEventsTopic, fn, deadLetterTopic));
  }
  // Pub/Sub forwards a message to a dead-letter topic as its own service agent: it must be allowed to publish
  // there and to acknowledge on the source subscription, or nothing is ever dead-lettered.
  for (const fn of o.functions) {
    const subscription = pushSubscriptionName(fn);
    resources.push(
      binding(
        {
          what: `Pub/Sub dead-letters into ${deadLetterTopicName(subscription)}`,
          target: topicTarget(deadLetterTopicName(subscription)),
          member: pubsubAgent,
          role: 'roles/pubsub.publisher',
        },
        gcloud,
        read,
      ),
      binding(
        {
          what: `Pub/Sub acknowledges dead-lettered messages on ${subscription}`,
          target: {
            id: `subscription:${subscription}`,
            read: ['pubsub', 'subscriptions', 'get-iam-policy', subscription],
            add: ['pubsub', 'subscriptions', 'add-iam-policy-binding', subscription],
          },
          member: pubsubAgent,
          role: 'roles/pubsub.subscriber',
        },
        gcloud,
        read,
      ),
    );
  }

  resources.push({
    id: 'image',
    what: `the API image ${image}`,
    needs: ['repository'],
    read: () => ({ command: read('artifacts', 'docker', 'images', 'describe', image) }),
    create: () => [
      // Google's buildpacks, as `gcloud run deploy --source` uses: they run `npm run gcp-build`, then `npm start`.
      gcloud(
        'builds',
        'submit',
        '.',
        `--pack=image=${image}`,
        `--region=${o.region}`,
        `--service-account=projects/${P}/serviceAccounts/${email('builder')}`,
        '--default-buckets-behavior=regional-user-owned-bucket',
      ),
    ],
  });

  const service = apiService(o);
  resources.push({
    id: 'service:api',
    what: `Cloud Run service ${API_SERVICE}`,
    needs: [api('run.googleapis.com')],
    read: () => ({ command: read('run', 'services', 'describe', API_SERVICE, `--region=${o.region}`) }),
    create: () => [gcloud('run', 'services', 'replace', API_SERVICE_MANIFEST, `--region=${o.region}`)],
    update: () => [gcloud('run', 'services', 'replace', API_SERVICE_MANIFEST, `--region=${o.region}`)],
    differences: (current) => serviceDifferences(current as KnativeService, service),
    outputs: (current) => ({ url: (current as KnativeService).status?.url ?? '' }),
  });
  resources.push(
    binding(
      {
        // The API authenticates every request itself (Identity Platform ID tokens, and every field has a rule):
        // browsers and mobile clients hold those tokens, not Google IAM ones.
        what: 'anyone may reach the API (it checks ID tokens itself)',
        target: {
          id: 'service:api',
          read: ['run', 'services', 'get-iam-policy', API_SERVICE, `--region=${o.region}`],
          add: ['run', 'services', 'add-iam-policy-binding', API_SERVICE, `--region=${o.region}`],
        },
        member: () => 'allUsers',
        role: 'roles/run.invoker',
      },
      gcloud,
      read,
    ),
  );
  return resources;
}

/** How `--smoke` finds the API's URL. */
export function serviceUrlArgs(o: Pick<DeployOptions, 'project' | 'region'>): string[] {
  return [
    'run',
    'services',
    'describe',
    API_SERVICE,
    `--region=${o.region}`,
    `--project=${o.project}`,
    '--format=value(status.url)',
    '--quiet',
  ];
}

/** Where the CLI writes the Cloud Run service (apiService), for `gcloud run services replace`. */
export const API_SERVICE_MANIFEST = '.deploy/eventloom-api.service.json';

/**
 * The API as a Knative service, the form `gcloud run services replace` applies whole: a setting not written
 * here goes back to Cloud Run's default. JSON is YAML, so gcloud reads the file as it is.
 */
export function apiImage(o: DeployOptions): string {
  return `${o.region}-docker.pkg.dev/${o.project}/${REPOSITORY}/${API_SERVICE}:${o.sourceVersion}`;
}

export function apiService(o: DeployOptions): KnativeService {
  const image = apiImage(o);
  const serviceAccount = `eventloom-api@${o.project}.iam.gserviceaccount.com`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    GOOGLE_CLOUD_PROJECT: o.project,
    DOMAIN_EVENTS_TOPIC: o.domainEventsTopic,
    INTEGRATION_EVENTS_TOPIC: o.integrationEventsTopic,
    AUTH_PROJECT_ID: o.project,
    ...(o.firebaseApiKey ? { FIREBASE_API_KEY: o.firebaseApiKey } : {}),
    ...(o.allowedOrigins ? { ALLOWED_ORIGINS: o.allowedOrigins } : {}),
    ...(o.kmsKeyName ? { KMS_KEY_NAME: o.kmsKeyName } : {}),
  };
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: API_SERVICE, labels: { 'cloud.googleapis.com/location': o.region } },
    spec: {
      template: {
        metadata: {
          annotations: {
            // One warm instance with CPU always on: the outbox relay runs in it.
            'autoscaling.knative.dev/minScale': '1',
            // A ceiling, so a flood of requests costs a known amount: each instance holds up to 20 WebSocket
            // connections per caller and thousands of subscribers (bench part f).
            'autoscaling.knative.dev/maxScale': String(o.maxInstances ?? 10),
            'run.googleapis.com/cpu-throttling': 'false',
          },
        },
        spec: {
          serviceAccountName: serviceAccount,
          // Subscriptions are requests that last: Cloud Run ends any request at its timeout (5 minutes by default),
          // which would cut every SSE stream and WebSocket. An hour, the most it allows, is also an ID token's life.
          timeoutSeconds: 3600,
          containers: [
            { image, ports: [{ name: 'http1', containerPort: 8080 }], env: Object.entries(env).map(([name, value]) => ({ name, value })) },
          ],
        },
      },
      traffic: [{ percent: 100, latestRevision: true }],
    },
  };
}

export interface KnativeService {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: {
        serviceAccountName?: string;
        timeoutSeconds?: number;
        containers: { image: string; ports?: { name?: string; containerPort: number }[]; env?: { name: string; value?: string }[] }[];
      };
    };
    traffic?: { percent: number; latestRevision?: boolean }[];
  };
  status?: { url?: string };
}

function serviceDifferences(current: KnativeService, desired: KnativeService): string[] {
  const annotations = (s: KnativeService) => s.spec.template.metadata?.annotations ?? {};
  const container = (s: KnativeService) => s.spec.template.spec.containers[0];
  const env = (s: KnativeService) => sortedJson(Object.fromEntries((container(s)?.env ?? []).map((e) => [e.name, e.value ?? ''])));
  return [
    ...differ('image', container(current)?.image, container(desired)?.image),
    ...differ('service account', current.spec.template.spec.serviceAccountName, desired.spec.template.spec.serviceAccountName),
    ...differ('request timeout', current.spec.template.spec.timeoutSeconds, desired.spec.template.spec.timeoutSeconds),
    ...['autoscaling.knative.dev/minScale', 'autoscaling.knative.dev/maxScale', 'run.googleapis.com/cpu-throttling'].flatMap((key) =>
      differ(key, annotations(current)[key], annotations(desired)[key]),
    ),
    ...differ('environment', env(current), env(desired)),
  ];
}

function firestoreResources(o: DeployOptions, gcloud: (...args: string[]) => Command, read: (...args: string[]) => Command): Resource[] {
  const needs = ['api:firestore.googleapis.com', 'firestore'];
  const resources: Resource[] = [
    {
      id: 'firestore',
      what: `Firestore database (default) in ${o.region}`,
      needs: ['api:firestore.googleapis.com'],
      read: () => ({ command: read('firestore', 'databases', 'describe', DATABASE) }),
      create: () => [gcloud('firestore', 'databases', 'create', DATABASE, `--location=${o.region}`, '--type=firestore-native')],
      // Its type and place cannot change once it exists; Datastore mode would not serve the client libraries' queries.
      differences: (current) => differ('type', (current as { type?: string }).type, 'FIRESTORE_NATIVE'),
    },
  ];
  for (const index of o.firestoreIndexes.indexes) {
    const key = indexKey(index.queryScope, index.fields);
    resources.push({
      id: `firestore-index:${index.collectionGroup}:${key}`,
      what: `Firestore index on ${index.collectionGroup} (${key})`,
      needs,
      read: () => ({
        command: read('firestore', 'indexes', 'composite', 'list', DATABASE),
        select: (answer) =>
          (answer as { name: string; queryScope: string; fields: FieldConfig[] }[]).find(
            (existing) =>
              existing.name.includes(`/collectionGroups/${index.collectionGroup}/`) &&
              indexKey(existing.queryScope, existing.fields) === key,
          ),
      }),
      create: () => [
        gcloud(
          'firestore',
          'indexes',
          'composite',
          'create',
          DATABASE,
          `--collection-group=${index.collectionGroup}`,
          `--query-scope=${index.queryScope === 'COLLECTION' ? 'collection' : 'collection-group'}`,
          // Firestore orders by __name__ last in every index; the file may say so, the command must not.
          ...index.fields
            .filter((f) => f.fieldPath !== '__name__')
            .map(
              (f) =>
                `--field-config=field-path=${f.fieldPath},${f.arrayConfig ? 'array-config=contains' : `order=${f.order?.toLowerCase() ?? 'ascending'}`}`,
            ),
        ),
      ],
    });
  }
  const declared = new Set(
    o.firestoreIndexes.indexes.map((index) => `${index.collectionGroup}|${indexKey(index.queryScope, index.fields)}`),
  );
  resources.push({
    id: 'firestore-indexes:undeclared',
    what: 'Firestore composite indexes not in firestore.indexes.json',
    needs,
    read: () => ({ command: read('firestore', 'indexes', 'composite', 'list', DATABASE) }),
    create: () => [],
    // Reported, never deleted: the code still running may query through them until the new revision is live.
    notes: (current) =>
      (current as { name: string; queryScope: string; fields: FieldConfig[] }[])
        .filter(
          (index) =>
            !declared.has(`${index.name.split('/collectionGroups/')[1]?.split('/')[0]}|${indexKey(index.queryScope, index.fields)}`),
        )
        .map(
          (index) =>
            `not declared, left alone: ${index.name.split('/collectionGroups/')[1]?.split('/')[0]} (${indexKey(index.queryScope, index.fields)}); ` +
            `once unused: gcloud firestore indexes composite delete ${index.name.split('/').pop()} --database='(default)'`,
        ),
  });
  for (const override of o.firestoreIndexes.fieldOverrides) {
    const field = `${override.collectionGroup}.${override.fieldPath}`;
    const describe = () => ({
      command: read(
        'firestore',
        'indexes',
        'fields',
        'describe',
        override.fieldPath,
        `--collection-group=${override.collectionGroup}`,
        DATABASE,
      ),
    });
    const desired = override.indexes.map((i) => singleFieldKey(i.queryScope, i.order, i.arrayConfig)).sort();
    // gcloud's `fields update --index` only makes collection-scoped indexes; collection-group ones go through
    // the Firestore Admin REST API (the same PATCH gcloud sends), with gcloud's token.
    const gcloudCanSay = override.indexes.every((i) => i.queryScope === 'COLLECTION');
    const updateIndexes = (): Command[] => [
      gcloudCanSay
        ? gcloud(
            'firestore',
            'indexes',
            'fields',
            'update',
            override.fieldPath,
            `--collection-group=${override.collectionGroup}`,
            DATABASE,
            ...(override.indexes.length === 0
              ? ['--disable-indexes']
              : override.indexes.map(
                  (i) => `--index=${i.arrayConfig ? 'array-config=contains' : `order=${(i.order ?? 'ASCENDING').toLowerCase()}`}`,
                )),
          )
        : {
            kind: 'http',
            method: 'PATCH',
            url: `https://firestore.googleapis.com/v1/projects/${o.project}/databases/(default)/collectionGroups/${override.collectionGroup}/fields/${override.fieldPath}?updateMask=indexConfig`,
            body: {
              indexConfig: {
                indexes: override.indexes.map((i) => ({
                  queryScope: i.queryScope,
                  fields: [
                    {
                      fieldPath: override.fieldPath,
                      ...(i.arrayConfig ? { arrayConfig: i.arrayConfig } : { order: i.order ?? 'ASCENDING' }),
                    },
                  ],
                })),
              },
            },
          },
    ];
    resources.push({
      id: `firestore-field:${field}`,
      what: `Firestore single-field indexes of ${field}: ${desired.join(', ') || 'none'}`,
      needs,
      read: describe,
      create: updateIndexes,
      update: updateIndexes,
      differences: (current) => {
        const indexes = (current as FieldAnswer).indexConfig?.indexes ?? [];
        const actual = indexes.map((i) => singleFieldKey(i.queryScope, i.fields?.[0]?.order, i.fields?.[0]?.arrayConfig)).sort();
        return differ('indexes', actual.join(', ') || 'none', desired.join(', ') || 'none');
      },
    });
    if (override.ttl) {
      const enableTtl = () => [
        gcloud(
          'firestore',
          'fields',
          'ttls',
          'update',
          override.fieldPath,
          `--collection-group=${override.collectionGroup}`,
          DATABASE,
          '--enable-ttl',
        ),
      ];
      resources.push({
        id: `firestore-ttl:${field}`,
        what: `TTL on ${field}: Firestore deletes a document once this time has passed`,
        needs,
        read: describe,
        create: enableTtl,
        update: enableTtl,
        differences: (current) => {
          const state = (current as FieldAnswer).ttlConfig?.state;
          return state === 'ACTIVE' || state === 'CREATING' ? [] : [`ttl: ${state ?? 'off'} → on`];
        },
      });
    }
  }
  const rules = 'https://firebaserules.googleapis.com/v1';
  const releaseName = `projects/${o.project}/releases/cloud.firestore`;
  const newRuleset: Command = {
    kind: 'http',
    method: 'POST',
    url: `${rules}/projects/${o.project}/rulesets`,
    body: { source: { files: [{ name: 'firestore.rules', content: o.firestoreRules }] } },
  };
  resources.push({
    // gcloud has no command for security rules: the Firebase Rules API, with gcloud's token (no Firebase login).
    id: 'firestore-rules',
    what: 'Firestore security rules (firestore.rules)',
    needs: ['api:firebaserules.googleapis.com', 'firestore'],
    read: (): Read => ({
      command: { kind: 'http', method: 'GET', url: `${rules}/${releaseName}` },
      next: (release) => ({
        command: { kind: 'http', method: 'GET', url: `${rules}/${(release as { rulesetName: string }).rulesetName}` },
        select: (ruleset) => (ruleset as { source: { files: { content: string }[] } }).source.files.map((f) => f.content).join('\n'),
      }),
    }),
    create: () => [
      newRuleset,
      {
        kind: 'http',
        method: 'POST',
        url: `${rules}/projects/${o.project}/releases`,
        body: (ruleset: unknown) => ({ name: releaseName, rulesetName: (ruleset as { name: string }).name }),
      },
    ],
    update: () => [
      newRuleset,
      {
        kind: 'http',
        method: 'PATCH',
        url: `${rules}/${releaseName}`,
        body: (ruleset: unknown) => ({ release: { name: releaseName, rulesetName: (ruleset as { name: string }).name } }),
      },
    ],
    differences: (current) =>
      String(current).trim() === o.firestoreRules.trim() ? [] : ['rules: the released ruleset differs from firestore.rules'],
  });
  return resources;
}

interface FieldConfig {
  readonly fieldPath: string;
  readonly order?: string;
  readonly arrayConfig?: string;
}
interface FieldAnswer {
  indexConfig?: { indexes?: { queryScope: string; fields?: FieldConfig[] }[] };
  ttlConfig?: { state?: string };
}
interface CloudFunction {
  state?: string;
  labels?: Record<string, string>;
  buildConfig?: { runtime?: string; entryPoint?: string; serviceAccount?: string };
  serviceConfig?: { uri?: string; service?: string; serviceAccountEmail?: string; environmentVariables?: Record<string, string> };
}
interface Subscription {
  topic?: string;
  pushConfig?: { pushEndpoint?: string; oidcToken?: { serviceAccountEmail?: string; audience?: string } };
  ackDeadlineSeconds?: number;
  retryPolicy?: { minimumBackoff?: string; maximumBackoff?: string };
  deadLetterPolicy?: { deadLetterTopic?: string; maxDeliveryAttempts?: number };
}

function indexKey(queryScope: string, fields: readonly FieldConfig[]): string {
  const significant = fields.filter((f) => f.fieldPath !== '__name__');
  return `${queryScope === 'COLLECTION' ? 'collection' : 'collection group'}: ${significant.map((f) => `${f.fieldPath} ${(f.arrayConfig ?? f.order ?? 'ASCENDING').toLowerCase()}`).join(', ')}`;
}

function singleFieldKey(queryScope: string, order?: string, arrayConfig?: string): string {
  return `${(arrayConfig ?? order ?? 'ASCENDING').toLowerCase()} in ${queryScope === 'COLLECTION' ? 'collection' : 'collection group'}`;
}

function differ(field: string, current: unknown, desired: unknown): string[] {
  return current === desired ? [] : [`${field}: ${current === undefined ? '(unset)' : String(current)} → ${String(desired)}`];
}

function sortedJson(value: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))));
}

/** `^|^` makes | the separator, so a value may hold commas. */
function envFlag(env: Record<string, string>): string {
  return `^|^${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('|')}`;
}

function topicResource(topic: string, gcloud: (...args: string[]) => Command, read: (...args: string[]) => Command): Resource {
  return {
    id: `topic:${topic}`,
    what: `Pub/Sub topic ${topic}`,
    needs: ['api:pubsub.googleapis.com'],
    read: () => ({ command: read('pubsub', 'topics', 'describe', topic) }),
    create: () => [gcloud('pubsub', 'topics', 'create', topic)],
  };
}

interface GrantTarget {
  /** The resource the role is bound on: until it exists, the binding is absent. */
  readonly id: string;
  readonly read: readonly string[] | ((outputs: Outputs) => readonly string[]);
  readonly add: readonly string[];
  /** The command grants one role only and takes no --role (functions add-invoker-policy-binding). */
  readonly noRole?: boolean;
}

interface Grant {
  readonly what: string;
  readonly target: GrantTarget;
  readonly member: (outputs: Outputs) => string;
  readonly role: string;
}

function projectTarget(project: string): GrantTarget {
  return {
    id: 'project',
    read: ['projects', 'get-iam-policy', project],
    // --condition=None: without it gcloud asks when the policy has conditional bindings.
    add: ['projects', 'add-iam-policy-binding', project, '--condition=None'],
  };
}

function serviceAccountTarget(email: string, id: string): GrantTarget {
  return {
    id,
    read: ['iam', 'service-accounts', 'get-iam-policy', email],
    add: ['iam', 'service-accounts', 'add-iam-policy-binding', email],
  };
}

function topicTarget(topic: string): GrantTarget {
  return {
    id: `topic:${topic}`,
    read: ['pubsub', 'topics', 'get-iam-policy', topic],
    add: ['pubsub', 'topics', 'add-iam-policy-binding', topic],
  };
}

function binding(grant: Grant, gcloud: (...args: string[]) => Command, read: (...args: string[]) => Command): Resource {
  const target = grant.target;
  const readArgs = (outputs: Outputs) => (typeof target.read === 'function' ? target.read(outputs) : target.read);
  return {
    id: `grant:${target.id}:${grant.role}:${grant.what}`,
    what: `grant ${grant.role}: ${grant.what}`,
    needs: [target.id],
    read: (outputs) => {
      const member = grant.member(outputs);
      return {
        command: read(...readArgs(outputs)),
        select: (policy) =>
          (policy as { bindings?: { role: string; members: string[]; condition?: unknown }[] }).bindings?.find(
            (b) => b.role === grant.role && !b.condition && b.members.includes(member),
          ),
      };
    },
    create: (outputs) => [gcloud(...target.add, `--member=${grant.member(outputs)}`, ...(target.noRole ? [] : [`--role=${grant.role}`]))],
    retryOn: IAM_NOT_YET,
  };
}
