/**
 * Eventloom on Google Cloud, as data: every resource the deploy converges on, in the order it is applied.
 * `npm run deploy` reads each one and creates, updates or keeps it (scripts/deploy/converge.ts); `--dry-run`
 * prints what would change. Names come from the local topology (src/pubsub/topology.ts), so dev, tests and the
 * cloud agree; Firestore indexes, field overrides and TTLs come from firestore.indexes.json, rules from
 * firestore.rules.
 *
 * Order: APIs → Firestore (database, indexes, TTLs, rules) → Artifact Registry → service accounts and their
 * grants → the KMS key that wraps customers' data keys, and its grants → topics → the functions (projectors,
 * workflow, dead-letter sink, deadline sweep) → push subscriptions and dead letters → the Pub/Sub service agent's
 * grants → the API on Cloud Run, so no event is published before something reads its topic → the Cloud Scheduler
 * job that starts the deadline sweep, once everything its cancellations lead to exists → what this release
 * retires (older generations of filtered subscriptions, the old outbox index and TTL), once nothing uses them.
 *
 * Push authentication: every subscription pushes as eventloom-pusher with the URL of the function it pushes to
 * as audience, and every function accepts only that account's tokens for its own URL (PUSH_SERVICE_ACCOUNT;
 * PUSH_AUDIENCE unset means its own URL). The deadline sweep is called the same way by Cloud Scheduler, as
 * eventloom-scheduler: only that account may invoke it, and only its tokens are accepted there.
 *
 * Grants are bound on the resource wherever it has an IAM policy (topics, subscriptions, service accounts, the
 * repository, the services, the KMS key); only what has none below the project is bound on the project: Firestore
 * access (roles/datastore.user), Cloud Trace and Cloud Monitoring writing, the build account's log writing and
 * source reading (the source buckets are created by Cloud Build and Cloud Functions on first use), and the Cloud
 * Scheduler service agent's own role.
 */
import { z } from 'zod';
import {
  deadLetterSinkSubscriptionName,
  deadLetterTopicName,
  filteredSubscription,
  isGenerationOf,
  pushSubscriptionName,
} from '../../src/pubsub/topology.ts';
import { type Command, DeployError, type Outputs, type Read, type Resource } from './converge.ts';

export interface DeployOptions {
  readonly project: string;
  readonly region: string;
  /**
   * The functions pushed domain events (projectors and workflows), each with the event types its push
   * subscription lets through (functions/projectors.ts `subscribers`).
   */
  readonly subscribers: Readonly<Record<string, readonly string[]>>;
  readonly deadLetterSink: string;
  /** The HTTP function Cloud Scheduler calls to fire due payment deadlines (functions/projectors.ts DEADLINE_SWEEP). */
  readonly deadlineSweep: string;
  /** The HTTP function Cloud Scheduler calls to fold pending contributions of rolled-up views (ROLL_UP_SWEEP). */
  readonly rollUpSweep: string;
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
   * The most instances each function may run (FUNCTION_SIZE): its ceiling is this many times 80 pushes at once.
   * Default 20, about 100x the demo load (docs/capacity.md).
   */
  readonly functionMaxInstances?: number;
  /** What the API's live sales dashboard listens to (LIVE_ROLLED_UP_VIEWS, src/config.ts). Default: every contribution. */
  readonly liveRolledUpViews?: 'parts' | 'shards';
  /**
   * An existing Cloud KMS key to wrap customers' data keys with (docs/privacy.md), instead of the one the deploy
   * creates (customerDataKeyName): then it is only checked and granted, never created or changed.
   */
  readonly kmsKeyName?: string;
  /**
   * Delete the earlier generations of filtered push subscriptions (another filter, or none) whose successor was
   * already in service before this run. Without it they are reported and kept (docs/deploy.md).
   */
  readonly retireOldSubscriptions?: boolean;
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

/**
 * APIs the deploy needs; iam creates the service accounts, firebaserules takes the security rules, cloudkms holds
 * the key that wraps customers' data keys, cloudscheduler calls the deadline sweep, cloudtrace and monitoring take
 * what OpenTelemetry exports.
 */
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
  'cloudkms.googleapis.com',
  'cloudscheduler.googleapis.com',
  'cloudtrace.googleapis.com',
  'monitoring.googleapis.com',
] as const;

export const API_SERVICE = 'eventloom-api';
export const REPOSITORY = 'eventloom';
const ACCOUNTS = {
  api: 'the API',
  projector: 'the projector functions',
  pusher: 'Pub/Sub push (OIDC)',
  builder: 'Cloud Build (images and function builds)',
  scheduler: 'Cloud Scheduler (OIDC calls to the deadline sweep)',
} as const;
type Account = keyof typeof ACCOUNTS;

const DATABASE = '--database=(default)';

/** The key ring and key the deploy creates when no --kms-key-name is given. */
export const KEY_RING = 'eventloom';
export const CUSTOMER_DATA_KEY = 'customer-data';
/**
 * The key-encryption key rotates every 90 days: KMS keeps the older versions enabled, and a ciphertext names the
 * version that made it, so data keys wrapped before a rotation still unwrap (and are never rewrapped).
 */
const KEY_ROTATION = { flag: '90d', seconds: '7776000s' } as const;

/** The KMS key the API and the functions get as KMS_KEY_NAME: the one given, or the one the deploy creates. */
export function customerDataKeyName(o: Pick<DeployOptions, 'project' | 'region' | 'kmsKeyName'>): string {
  return o.kmsKeyName ?? `projects/${o.project}/locations/${o.region}/keyRings/${KEY_RING}/cryptoKeys/${CUSTOMER_DATA_KEY}`;
}

/**
 * The Cloud Scheduler job that calls the deadline sweep. Every minute: an unpaid order is cancelled at most about
 * a minute after its deadline (docs/workflows.md); a sweep that finds nothing due costs one query per partition.
 */
export const SWEEP_JOB = 'eventloom-payment-deadlines';
export const SWEEP_SCHEDULE = '* * * * *';
const SWEEP_TIME_ZONE = 'Etc/UTC';
/**
 * The Cloud Scheduler job that calls the roll-up sweep. Every minute too: projectors roll up the sales dashboard's
 * shards as they apply events (at most once a second each); this folds what the last events of a burst left
 * pending, which reads merge meanwhile (src/firestore/viewRollUp.ts). A sweep with nothing pending costs one query.
 */
export const ROLL_UP_JOB = 'eventloom-roll-ups';
/** As long as the function may run (Cloud Functions' default timeout): a sweep that takes longer is ended anyway. */
const SWEEP_ATTEMPT_DEADLINE = '60s';
// IAM sees a new service account a few seconds after it is created; bindings to it fail until then.
const IAM_NOT_YET = /does not exist|not found/i;

export function desiredState(o: DeployOptions): Resource[] {
  const P = o.project;
  const gcloud = (...args: string[]): Command => ({ kind: 'gcloud', args: [...args, `--project=${P}`, '--quiet'] });
  const read = (...args: string[]): Command => gcloud(...args, '--format=json');
  const email = (account: Account) => `eventloom-${account}@${P}.iam.gserviceaccount.com`;
  const member = (account: Account) => `serviceAccount:${email(account)}`;
  const serviceAgent = (service: string) => (outputs: Outputs) =>
    `serviceAccount:service-${outputs.get('project', 'number')}@gcp-sa-${service}.iam.gserviceaccount.com`;
  const pubsubAgent = serviceAgent('pubsub');
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
    {
      // Google grants it when the API is enabled, except in projects that enabled Cloud Scheduler before 19 March
      // 2019; without it every job with an OIDC token gets 403. A service agent's role has no level below the project.
      what: 'Cloud Scheduler signs OIDC tokens for its jobs',
      target: projectTarget(P),
      member: serviceAgent('cloudscheduler'),
      role: 'roles/cloudscheduler.serviceAgent',
    },
    // Traces and metrics (src/telemetry): Cloud Trace and Cloud Monitoring have no IAM policy below the project,
    // so these two are bound on it; they only let an account write spans and time series, never read them.
    ...(['api', 'projector'] as const).flatMap((account): Grant[] =>
      ['roles/cloudtrace.agent', 'roles/monitoring.metricWriter'].map((role) => ({
        what: `${ACCOUNTS[account]} export${account === 'api' ? 's' : ''} OpenTelemetry ${role === 'roles/cloudtrace.agent' ? 'traces' : 'metrics'}`,
        target: projectTarget(P),
        member: () => member(account),
        role,
      })),
    ),
  ];
  for (const grant of grants) resources.push(binding(grant, gcloud, read));

  resources.push(...kmsResources(o, gcloud, read, [member('api'), member('projector')]));

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
  // /readyz checks Pub/Sub with one topics.get on the domain events topic (src/apiHealth.ts), which publishing
  // does not allow: the viewer role on that topic alone.
  resources.push(
    binding(
      {
        what: `the API's readiness check reads ${o.domainEventsTopic}`,
        target: topicTarget(o.domainEventsTopic),
        member: () => member('api'),
        role: 'roles/pubsub.viewer',
      },
      gcloud,
      read,
    ),
  );
  const subscriberFunctions = Object.keys(o.subscribers);
  for (const fn of subscriberFunctions) resources.push(topicResource(deadLetterTopicName(pushSubscriptionName(fn)), gcloud, read));

  const sweeps = [o.deadlineSweep, o.rollUpSweep];
  const functionMaxInstances = o.functionMaxInstances ?? FUNCTION_SIZE.maxInstances;
  for (const fn of [...subscriberFunctions, o.deadLetterSink, ...sweeps]) {
    // Pub/Sub pushes to every function but the sweeps, which Cloud Scheduler calls: each accepts only its caller.
    const invoker: Account = sweeps.includes(fn) ? 'scheduler' : 'pusher';
    const functionEnv = {
      NODE_ENV: 'production',
      GOOGLE_CLOUD_PROJECT: P,
      DOMAIN_EVENTS_TOPIC: o.domainEventsTopic,
      INTEGRATION_EVENTS_TOPIC: o.integrationEventsTopic,
      PUSH_AUTH: 'required',
      PUSH_SERVICE_ACCOUNT: email(invoker),
      KMS_KEY_NAME: customerDataKeyName(o),
    };
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
        `--concurrency=${FUNCTION_SIZE.concurrency}`,
        `--cpu=${FUNCTION_SIZE.cpu}`,
        `--memory=${FUNCTION_SIZE.memory}`,
        `--max-instances=${functionMaxInstances}`,
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
          ...differ('concurrency', f.serviceConfig?.maxInstanceRequestConcurrency, FUNCTION_SIZE.concurrency),
          ...differ('cpu', f.serviceConfig?.availableCpu, FUNCTION_SIZE.cpu),
          ...differ('memory', f.serviceConfig?.availableMemory, FUNCTION_SIZE.memory),
          ...differ('max instances', f.serviceConfig?.maxInstanceCount, functionMaxInstances),
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
          what: `the ${invoker} invokes ${fn}`,
          target: {
            id: `function:${fn}`,
            read: (outputs) => ['run', 'services', 'get-iam-policy', outputs.get(`function:${fn}`, 'service'), `--region=${o.region}`],
            add: ['functions', 'add-invoker-policy-binding', fn, `--region=${o.region}`],
            noRole: true,
          },
          member: () => member(invoker),
          role: 'roles/run.invoker',
        },
        gcloud,
        read,
      ),
    );
  }

  const retry = { ackDeadlineSeconds: 30, minimumBackoff: '1s', maximumBackoff: '60s' };
  const pushSubscription = (name: string, topic: string, fn: string, deadLetterTopic?: string, filter?: string): Resource => {
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
    // A filter is set at creation only: the name carries its digest, so the filter is not an update setting.
    const creation = filter ? [`--message-filter=${filter}`] : [];
    return {
      id: `subscription:${name}`,
      what: `push subscription ${name} (${topic} → ${fn})`,
      needs: [`topic:${topic}`, ...(deadLetterTopic ? [`topic:${deadLetterTopic}`] : [])],
      read: () => ({ command: read('pubsub', 'subscriptions', 'describe', name) }),
      create: (outputs) => [gcloud('pubsub', 'subscriptions', 'create', name, `--topic=${topic}`, ...creation, ...settings(outputs))],
      update: (outputs, current) => {
        if ((current as Subscription).topic !== `projects/${P}/topics/${topic}`) {
          throw new DeployError(
            `subscription:${name}`,
            `reads ${(current as Subscription).topic}, not ${topic}: delete it to have it recreated`,
          );
        }
        // Pub/Sub cannot change a filter; its digest is in the name, so another filter means a name reused by hand.
        if (((current as Subscription).filter ?? '') !== (filter ?? '')) {
          throw new DeployError(
            `subscription:${name}`,
            `filters on ${JSON.stringify((current as Subscription).filter ?? '')}, not ${JSON.stringify(filter ?? '')}: delete it to have it recreated`,
          );
        }
        return [gcloud('pubsub', 'subscriptions', 'update', name, ...settings(outputs))];
      },
      differences: (current, outputs) => {
        const s = current as Subscription;
        return [
          ...differ('topic', s.topic, `projects/${P}/topics/${topic}`),
          ...differ('filter', s.filter ?? '', filter ?? ''),
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
  // Each subscriber's subscription lets through only the event types it reads, and is named after its filter
  // (src/pubsub/topology.ts): dead-letter topics and their sink subscriptions keep the plain name, since they
  // outlive filter changes.
  const generations = subscriberFunctions.map((fn) => {
    const plain = pushSubscriptionName(fn);
    return { fn, plain, current: filteredSubscription(plain, o.subscribers[fn] ?? []), deadLetterTopic: deadLetterTopicName(plain) };
  });
  for (const { fn, plain, current, deadLetterTopic } of generations) {
    resources.push(pushSubscription(deadLetterSinkSubscriptionName(plain), deadLetterTopic, o.deadLetterSink));
    resources.push(pushSubscription(current.name, o.domainEventsTopic, fn, deadLetterTopic, current.filter));
  }
  // Pub/Sub forwards a message to a dead-letter topic as its own service agent: it must be allowed to publish
  // there and to acknowledge on the source subscription, or nothing is ever dead-lettered.
  for (const { current, deadLetterTopic } of generations) {
    const subscription = current.name;
    resources.push(
      binding(
        {
          what: `Pub/Sub dead-letters into ${deadLetterTopic}`,
          target: topicTarget(deadLetterTopic),
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

  resources.push(
    sweepJob(o, gcloud, read, email('scheduler'), {
      job: SWEEP_JOB,
      fn: o.deadlineSweep,
      description: `Fires due payment deadlines: ${o.deadlineSweep} (docs/workflows.md)`,
      whilePaused: 'no deadline fires',
    }),
    sweepJob(o, gcloud, read, email('scheduler'), {
      job: ROLL_UP_JOB,
      fn: o.rollUpSweep,
      description: `Folds pending contributions into the sales dashboard: ${o.rollUpSweep} (docs/capacity.md)`,
      whilePaused: "the dashboard's pending contributions wait for the next order's roll-up",
    }),
  );

  // Last, what this release retires: each only once what replaces it is in service.
  for (const { fn, plain, current } of generations) {
    resources.push(retiredGenerations(o, gcloud, read, { fn, plain, current: current.name }));
  }
  resources.push(...retiredFirestoreResources(o, gcloud, read));
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

/** The port Cloud Run sends requests to; it sets PORT to it, which the API listens on (src/config.ts). */
const API_PORT = 8080;

/**
 * Health probes on the serving port, where the API answers /healthz and /readyz beside /graphql
 * (src/telemetry/health.ts; the operator port listens on loopback only). docs/observability.md, "Health".
 *
 * - Startup: /startupz, which is /readyz without the read models' check (a stalled projector must not keep new API
 *   instances from starting): Firestore and Pub/Sub reachable and the relay running. A plain path, since a probe's
 *   path is not documented to carry a query string (Knative's prober, for one, escapes the "?"). Every 5 s, each readiness check gives up
 *   after 5 s, for up to 2 minutes (Cloud Run allows 240 s), which covers a cold start's first Firestore call.
 * - Liveness: /healthz, which answers while the process does: restarting an instance fixes none of its
 *   dependencies, so a dependency's outage must not restart it. Three misses 30 s apart: a hung event loop.
 */
const API_PROBES = {
  startupProbe: {
    httpGet: { path: '/startupz', port: API_PORT },
    initialDelaySeconds: 0,
    periodSeconds: 5,
    timeoutSeconds: 5,
    failureThreshold: 24,
  },
  livenessProbe: {
    httpGet: { path: '/healthz', port: API_PORT },
    periodSeconds: 30,
    timeoutSeconds: 5,
    failureThreshold: 3,
  },
} satisfies Pick<KnativeContainer, 'startupProbe' | 'livenessProbe'>;

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
    ...(o.liveRolledUpViews ? { LIVE_ROLLED_UP_VIEWS: o.liveRolledUpViews } : {}),
    KMS_KEY_NAME: customerDataKeyName(o),
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
            {
              image,
              ports: [{ name: 'http1', containerPort: API_PORT }],
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              ...API_PROBES,
            },
          ],
        },
      },
      traffic: [{ percent: 100, latestRevision: true }],
    },
  };
}

export interface Probe {
  httpGet?: { path?: string; port?: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface KnativeContainer {
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
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
        containers: KnativeContainer[];
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
    ...(['startupProbe', 'livenessProbe'] as const).flatMap((probe) =>
      differ(probe, probeText(container(current)?.[probe]), probeText(container(desired)?.[probe])),
    ),
  ];
}

/** A probe as the settings we write: Cloud Run answers with them (and defaults for any left out, 0 delay here). */
function probeText(probe: Probe | undefined): string {
  if (!probe) return 'none';
  const { httpGet, initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold } = probe;
  return `GET ${httpGet?.path ?? '/'} :${httpGet?.port ?? API_PORT} delay ${initialDelaySeconds ?? 0}s every ${periodSeconds}s timeout ${timeoutSeconds}s × ${failureThreshold}`;
}

/**
 * The key that wraps every customer's data key (crypto-shredding, docs/privacy.md), and who may use it: the API
 * and the functions encrypt and decrypt with it, nothing else. Created as a software key rotating every 90 days,
 * unless --kms-key-name names one to use instead, which is then only checked and granted. Never deleted or
 * disabled by the deploy: a key destroyed by mistake makes every customer's data unreadable, for good.
 */
function kmsResources(o: DeployOptions, gcloud: Gcloud, read: Gcloud, members: readonly string[]): Resource[] {
  const keyArgs = o.kmsKeyName ? [o.kmsKeyName] : [CUSTOMER_DATA_KEY, `--keyring=${KEY_RING}`, `--location=${o.region}`];
  const purpose = (current: unknown) => differ('purpose', (current as CryptoKey).purpose, 'ENCRYPT_DECRYPT');
  const resources: Resource[] = [];
  if (o.kmsKeyName) {
    resources.push({
      id: 'kms-key',
      what: `Cloud KMS key ${o.kmsKeyName} (given with --kms-key-name: checked and granted, never changed)`,
      // Not behind this project's KMS API: the key may live in another project (a shared security project).
      read: () => ({ command: read('kms', 'keys', 'describe', ...keyArgs) }),
      mustExist: `Cloud KMS key ${o.kmsKeyName} does not exist, or the signed-in account cannot see it`,
      create: () => [],
      // A key for signing, say, cannot wrap data keys: stop here rather than let the API fail at its first order.
      differences: purpose,
    });
  } else {
    resources.push(
      {
        id: 'kms-keyring',
        what: `Cloud KMS key ring ${KEY_RING} in ${o.region}`,
        needs: ['api:cloudkms.googleapis.com'],
        read: () => ({ command: read('kms', 'keyrings', 'describe', KEY_RING, `--location=${o.region}`) }),
        create: () => [gcloud('kms', 'keyrings', 'create', KEY_RING, `--location=${o.region}`)],
      },
      {
        id: 'kms-key',
        what: `Cloud KMS key ${CUSTOMER_DATA_KEY} (wraps customers' data keys; software, rotated every 90 days)`,
        needs: ['kms-keyring'],
        read: () => ({ command: read('kms', 'keys', 'describe', ...keyArgs) }),
        create: () => [
          gcloud(
            'kms',
            'keys',
            'create',
            ...keyArgs,
            '--purpose=encryption',
            '--protection-level=software',
            `--rotation-period=${KEY_ROTATION.flag}`,
            // An ISO 8601 duration is read as that long from now: the first rotation one period after creation.
            `--next-rotation-time=P${KEY_ROTATION.flag.toUpperCase()}`,
          ),
        ],
        update: (_outputs, current) => {
          const k = current as CryptoKey;
          if (k.purpose !== 'ENCRYPT_DECRYPT' || k.versionTemplate?.protectionLevel !== 'SOFTWARE') {
            throw new DeployError(
              'kms-key',
              `is ${k.purpose} at protection level ${k.versionTemplate?.protectionLevel}, which cannot be changed in place; ` +
                'keys are never destroyed by the deploy: name another key with --kms-key-name',
            );
          }
          return [
            gcloud(
              'kms',
              'keys',
              'update',
              ...keyArgs,
              `--rotation-period=${KEY_ROTATION.flag}`,
              `--next-rotation-time=P${KEY_ROTATION.flag.toUpperCase()}`,
            ),
          ];
        },
        differences: (current) => [
          ...purpose(current),
          ...differ('protection level', (current as CryptoKey).versionTemplate?.protectionLevel, 'SOFTWARE'),
          ...differ('rotation period', (current as CryptoKey).rotationPeriod, KEY_ROTATION.seconds),
        ],
      },
    );
  }
  for (const member of members) {
    resources.push(
      binding(
        {
          what: `${member.replace(/^serviceAccount:/, '')} wraps and unwraps data keys with the KMS key`,
          target: {
            id: 'kms-key',
            read: ['kms', 'keys', 'get-iam-policy', ...keyArgs],
            add: ['kms', 'keys', 'add-iam-policy-binding', ...keyArgs],
          },
          member: () => member,
          role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        },
        gcloud,
        read,
      ),
    );
  }
  return resources;
}

/**
 * A Cloud Scheduler job that calls a sweep every minute with an OIDC token of eventloom-scheduler, the function's
 * URL as audience: the only account the function lets in (PUSH_SERVICE_ACCOUNT) and the only one that may invoke
 * it. No retries: the next minute's run is the retry, and what one run missed the next one does (a deadline is
 * fired at least once and acted on at most once: docs/workflows.md; a roll-up folds each contribution once).
 */
function sweepJob(
  o: DeployOptions,
  gcloud: Gcloud,
  read: Gcloud,
  schedulerEmail: string,
  sweep: { readonly job: string; readonly fn: string; readonly description: string; readonly whilePaused: string },
): Resource {
  const jobName = sweep.job;
  const fn = `function:${sweep.fn}`;
  const location = `--location=${o.region}`;
  const settings = (outputs: Outputs) => [
    `--schedule=${SWEEP_SCHEDULE}`,
    `--time-zone=${SWEEP_TIME_ZONE}`,
    `--uri=${outputs.get(fn, 'url')}`,
    '--http-method=POST',
    `--oidc-service-account-email=${schedulerEmail}`,
    `--oidc-token-audience=${outputs.get(fn, 'url')}`,
    `--attempt-deadline=${SWEEP_ATTEMPT_DEADLINE}`,
    '--max-retry-attempts=0',
    `--description=${sweep.description}`,
  ];
  return {
    id: `scheduler-job:${jobName}`,
    what: `Cloud Scheduler job ${jobName} (${SWEEP_SCHEDULE} ${SWEEP_TIME_ZONE} → ${sweep.fn})`,
    needs: ['api:cloudscheduler.googleapis.com', fn],
    read: () => ({ command: read('scheduler', 'jobs', 'describe', jobName, location) }),
    create: (outputs) => [gcloud('scheduler', 'jobs', 'create', 'http', jobName, location, ...settings(outputs))],
    update: (outputs) => [gcloud('scheduler', 'jobs', 'update', 'http', jobName, location, ...settings(outputs))],
    differences: (current, outputs) => {
      const job = current as SchedulerJob;
      const url = outputs.get(fn, 'url');
      return [
        ...differ('schedule', job.schedule, SWEEP_SCHEDULE),
        ...differ('time zone', job.timeZone, SWEEP_TIME_ZONE),
        ...differ('target', job.httpTarget?.uri, url),
        ...differ('method', job.httpTarget?.httpMethod, 'POST'),
        ...differ('token account', job.httpTarget?.oidcToken?.serviceAccountEmail, schedulerEmail),
        ...differ('token audience', job.httpTarget?.oidcToken?.audience, url),
        ...differ('attempt deadline', job.attemptDeadline, SWEEP_ATTEMPT_DEADLINE),
        ...differ('retries', job.retryConfig?.retryCount ?? 0, 0),
      ];
    },
    // Paused by hand (an incident, a migration): reported, not resumed behind the operator's back.
    notes: (current) =>
      (current as SchedulerJob).state === 'PAUSED'
        ? [`paused: ${sweep.whilePaused} until \`gcloud scheduler jobs resume ${jobName} ${location}\``]
        : [],
  };
}

/**
 * The generations of a subscriber's push subscription that this release supersedes (another filter, or none:
 * src/pubsub/topology.ts). Both the old and the new generation deliver meanwhile (the functions are
 * idempotent), so nothing is lost while they overlap; the old one is deleted only with --retire-old-subscriptions
 * and only once the new one was in service before this run (pushing to the function as deployed now), so that
 * whatever the old one still held (retries of a failing message, which dead-letter after 5 attempts) has had a
 * run's interval to be delivered or dead-lettered. Without the flag the plan says what it keeps, and why.
 */
function retiredGenerations(
  o: DeployOptions,
  gcloud: Gcloud,
  read: Gcloud,
  subscription: { readonly fn: string; readonly plain: string; readonly current: string },
): Resource {
  const { fn, plain, current } = subscription;
  const inService = (outputs: Outputs) => outputs.existedBefore(`subscription:${current}`) && outputs.exists(`function:${fn}`);
  const why = o.retireOldSubscriptions
    ? `kept: ${current} was not in service before this run; retire it on a later run, once ${current} has taken over`
    : `kept (superseded by ${current}, both deliver): once its backlog is delivered, run again with --retire-old-subscriptions`;
  return {
    id: `retired-subscriptions:${plain}`,
    what: `earlier generations of push subscription ${plain} (another filter, or none)`,
    needs: [`topic:${o.domainEventsTopic}`],
    read: () => ({
      command: read('pubsub', 'topics', 'list-subscriptions', o.domainEventsTopic),
      select: (names) => {
        const old = (names as string[])
          .map((name) => name.split('/').at(-1) ?? name)
          .filter((name) => name !== current && isGenerationOf(plain, name));
        return old.length > 0 ? old.sort() : undefined;
      },
    }),
    create: () => [],
    remove: (old, outputs) =>
      o.retireOldSubscriptions && inService(outputs)
        ? (old as string[]).map((name) => gcloud('pubsub', 'subscriptions', 'delete', name))
        : [],
    notes: (old, outputs) => (o.retireOldSubscriptions && inService(outputs) ? [] : (old as string[]).map((name) => `${name}: ${why}`)),
  };
}

/**
 * What earlier releases declared in firestore.indexes.json and this one no longer needs: the `outbox` collection
 * is gone (each event document is its own outbox entry), with its composite index and its TTL policy. Removed
 * after the new API revision is live, since the one before it still queried the index. The TTL goes only once no
 * legacy outbox record is left: it is what deletes them (their personal data included, docs/privacy.md), and
 * disabling it first would keep them for good.
 */
export const RETIRED_OUTBOX = {
  collectionGroup: 'outbox',
  index: {
    queryScope: 'COLLECTION',
    fields: [
      { fieldPath: 'pending', order: 'ASCENDING' },
      { fieldPath: 'createdAt', order: 'ASCENDING' },
    ],
  },
  ttlField: 'expireAt',
} as const;

function retiredFirestoreResources(o: DeployOptions, gcloud: Gcloud, read: Gcloud): Resource[] {
  const needs = ['api:firestore.googleapis.com', 'firestore'];
  const { collectionGroup, index, ttlField } = RETIRED_OUTBOX;
  const key = indexKey(index.queryScope, index.fields);
  return [
    {
      id: `retired-firestore-index:${collectionGroup}:${key}`,
      what: `Firestore index on ${collectionGroup} (${key}), retired with the outbox collection`,
      needs,
      read: () => ({
        command: read('firestore', 'indexes', 'composite', 'list', DATABASE),
        select: (answer) =>
          (answer as CompositeIndex[]).find(
            (existing) => collectionGroupOf(existing) === collectionGroup && indexKey(existing.queryScope, existing.fields) === key,
          ),
      }),
      create: () => [],
      remove: (current) => [
        gcloud('firestore', 'indexes', 'composite', 'delete', (current as CompositeIndex).name.split('/').at(-1) ?? '', DATABASE),
      ],
    },
    {
      id: `retired-firestore-ttl:${collectionGroup}.${ttlField}`,
      what: `TTL on ${collectionGroup}.${ttlField}, retired with the outbox collection once it is empty`,
      needs,
      read: () => ({
        command: read('firestore', 'indexes', 'fields', 'describe', ttlField, `--collection-group=${collectionGroup}`, DATABASE),
        next: (field) => {
          const state = (field as FieldAnswer).ttlConfig?.state;
          return {
            // One document of the collection, if any: Firestore's REST API, with gcloud's token.
            command: {
              kind: 'http',
              method: 'GET',
              url: `https://firestore.googleapis.com/v1/projects/${o.project}/databases/(default)/documents/${collectionGroup}?pageSize=1&mask.fieldPaths=${ttlField}`,
            },
            select: (page) =>
              state === undefined ? undefined : { state, recordsLeft: ((page as { documents?: unknown[] }).documents ?? []).length > 0 },
          };
        },
      }),
      create: () => [],
      remove: (current) =>
        (current as { recordsLeft: boolean }).recordsLeft
          ? []
          : [gcloud('firestore', 'fields', 'ttls', 'update', ttlField, `--collection-group=${collectionGroup}`, DATABASE, '--disable-ttl')],
      notes: (current) =>
        (current as { recordsLeft: boolean }).recordsLeft
          ? [
              `kept: the ${collectionGroup} collection still holds legacy records, which this TTL deletes once their expireAt ` +
                'passes (7 days after publication); removed on a run after the collection is empty',
            ]
          : [],
    },
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
  const declared = new Set([
    ...o.firestoreIndexes.indexes.map((index) => `${index.collectionGroup}|${indexKey(index.queryScope, index.fields)}`),
    // Not reported: removed at the end of the plan (retiredFirestoreResources).
    `${RETIRED_OUTBOX.collectionGroup}|${indexKey(RETIRED_OUTBOX.index.queryScope, RETIRED_OUTBOX.index.fields)}`,
  ]);
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
/**
 * How each function instance is sized. Concurrency: a push is mostly waiting on Firestore, so one instance takes
 * many at once (the default, 1, needs an instance per push in flight: about 90 instances at 10× the demo load,
 * docs/capacity.md); more than one request per instance needs a whole CPU. Order does not suffer: the projector
 * subscriptions are unordered anyway (src/pubsub/topology.ts), and a projector applies each stream in version
 * order itself, filling gaps from the event store. Max instances bounds what a backlog can cost and the Firestore
 * load a burst of redeliveries can cause (`--function-max-instances` raises it for a larger shop).
 */
const FUNCTION_SIZE = { concurrency: 80, cpu: '1', memory: '512Mi', maxInstances: 20 } as const;

interface CloudFunction {
  state?: string;
  labels?: Record<string, string>;
  buildConfig?: { runtime?: string; entryPoint?: string; serviceAccount?: string };
  serviceConfig?: {
    uri?: string;
    service?: string;
    serviceAccountEmail?: string;
    environmentVariables?: Record<string, string>;
    maxInstanceRequestConcurrency?: number;
    availableCpu?: string;
    availableMemory?: string;
    maxInstanceCount?: number;
  };
}
interface Subscription {
  topic?: string;
  filter?: string;
  pushConfig?: { pushEndpoint?: string; oidcToken?: { serviceAccountEmail?: string; audience?: string } };
  ackDeadlineSeconds?: number;
  retryPolicy?: { minimumBackoff?: string; maximumBackoff?: string };
  deadLetterPolicy?: { deadLetterTopic?: string; maxDeliveryAttempts?: number };
}

interface CompositeIndex {
  readonly name: string;
  readonly queryScope: string;
  readonly fields: FieldConfig[];
}
interface CryptoKey {
  purpose?: string;
  rotationPeriod?: string;
  versionTemplate?: { protectionLevel?: string };
}
interface SchedulerJob {
  schedule?: string;
  timeZone?: string;
  state?: string;
  attemptDeadline?: string;
  retryConfig?: { retryCount?: number };
  httpTarget?: { uri?: string; httpMethod?: string; oidcToken?: { serviceAccountEmail?: string; audience?: string } };
}

function collectionGroupOf(index: CompositeIndex): string | undefined {
  return index.name.split('/collectionGroups/')[1]?.split('/')[0];
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

type Gcloud = (...args: string[]) => Command;

function topicResource(topic: string, gcloud: Gcloud, read: Gcloud): Resource {
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
