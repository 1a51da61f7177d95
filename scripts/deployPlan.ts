/**
 * The gcloud commands that put Eventloom on Google Cloud, as data: `npm run deploy` runs them (or, with
 * --dry-run, prints them), and a unit test checks the plan covers every projector. Names come from the
 * same functions as the local topology (src/pubsub/topology.ts), so dev, tests and the cloud agree.
 *
 * What it sets up: Firestore (rules, indexes, the outbox TTL), the Pub/Sub topics, one service account
 * per role, the API on Cloud Run (kept warm: the outbox relay runs in it), one Cloud Function per
 * projector plus the dead-letter sink, and authenticated push subscriptions with their dead-letter topics.
 *
 * Push authentication: every subscription pushes as the eventloom-pusher account, with a token whose
 * audience is the URL of the function it pushes to, and every function accepts only that account's tokens
 * for its own URL (PUSH_SERVICE_ACCOUNT; PUSH_AUDIENCE stays unset, since a function's URL is only known
 * once it is deployed, and unset means its own URL). Cloud Run checks the token too, but lets in any
 * account with the invoker role; the functions let in only the pusher.
 */
import { deadLetterSinkSubscriptionName, deadLetterTopicName, pushSubscriptionName } from '../src/pubsub/topology.ts';

export interface DeployOptions {
  readonly project: string;
  readonly region: string;
  readonly functions: readonly string[];
  readonly deadLetterSink: string;
  readonly domainEventsTopic: string;
  readonly integrationEventsTopic: string;
  /**
   * The Firebase web app's API key, for the dashboard's sign-in (public: it names the project and grants
   * nothing). Without it the dashboard says sign-in is not configured.
   */
  readonly firebaseApiKey?: string;
  /** Browser origins allowed to call the API (CORS, WebSocket Origin), comma-separated. */
  readonly allowedOrigins?: string;
  /** The most API instances Cloud Run may start. Default 10. */
  readonly maxInstances?: number;
}

export interface DeployStep {
  readonly what: string;
  readonly command: readonly string[];
  /** Steps that create something may find it there already on a second run. */
  readonly mayAlreadyExist?: boolean;
}

const SERVICES = [
  'run.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudbuild.googleapis.com',
  'artifactregistry.googleapis.com',
  'pubsub.googleapis.com',
  'firestore.googleapis.com',
  // Identity Platform: the ID tokens every API request carries, and the staff accounts' roles.
  'identitytoolkit.googleapis.com',
];

export function deployPlan(o: DeployOptions): DeployStep[] {
  const p = ['--project', o.project];
  const sa = (name: string) => `${name}@${o.project}.iam.gserviceaccount.com`;
  const env = `NODE_ENV=production,GOOGLE_CLOUD_PROJECT=${o.project},DOMAIN_EVENTS_TOPIC=${o.domainEventsTopic},INTEGRATION_EVENTS_TOPIC=${o.integrationEventsTopic}`;
  const pusher = sa('eventloom-pusher');
  const functionEnv = `${env},PUSH_AUTH=required,PUSH_SERVICE_ACCOUNT=${pusher}`;
  // Looked up by the shell when the step runs (a function's URL exists only once it is deployed). The format is
  // quoted inside the substitution: bare, its parentheses are a bash syntax error.
  const functionUrl = (name: string) =>
    `"$(gcloud functions describe ${name} --gen2 --region ${o.region} --project ${o.project} --format='value(serviceConfig.uri)')"`;
  const steps: DeployStep[] = [
    { what: 'enable the APIs', command: ['gcloud', 'services', 'enable', ...SERVICES, ...p] },
    {
      what: 'create the Firestore database',
      command: ['gcloud', 'firestore', 'databases', 'create', '--location', o.region, ...p],
      mayAlreadyExist: true,
    },
    {
      what: 'deploy Firestore rules and indexes',
      command: ['npx', 'firebase', 'deploy', '--only', 'firestore:rules,firestore:indexes', '--project', o.project],
    },
    {
      what: 'expire published outbox records (TTL on expireAt)',
      command: ['gcloud', 'firestore', 'fields', 'ttls', 'update', 'expireAt', '--collection-group=outbox', '--enable-ttl', ...p],
    },
    {
      what: 'forget idempotency keys after their day (TTL on expireAt)',
      command: ['gcloud', 'firestore', 'fields', 'ttls', 'update', 'expireAt', '--collection-group=idempotencyKeys', '--enable-ttl', ...p],
    },
  ];
  for (const topic of [o.domainEventsTopic, o.integrationEventsTopic]) {
    steps.push({ what: `create topic ${topic}`, command: ['gcloud', 'pubsub', 'topics', 'create', topic, ...p], mayAlreadyExist: true });
  }
  for (const [name, role] of [
    ['eventloom-api', 'the API'],
    ['eventloom-projector', 'the projector functions'],
    ['eventloom-pusher', 'Pub/Sub push (OIDC)'],
  ] as const) {
    steps.push({
      what: `service account for ${role}`,
      command: ['gcloud', 'iam', 'service-accounts', 'create', name, '--display-name', `Eventloom: ${role}`, ...p],
      mayAlreadyExist: true,
    });
  }
  for (const [member, role] of [
    [sa('eventloom-api'), 'roles/datastore.user'],
    [sa('eventloom-api'), 'roles/pubsub.publisher'],
    [sa('eventloom-projector'), 'roles/datastore.user'],
  ] as const) {
    steps.push({
      what: `grant ${role} to ${member}`,
      command: [
        'gcloud',
        'projects',
        'add-iam-policy-binding',
        o.project,
        '--member',
        `serviceAccount:${member}`,
        '--role',
        role,
        '--condition=None',
      ],
    });
  }
  steps.push({
    what: 'deploy the API to Cloud Run (one warm instance with CPU always on: the outbox relay runs in it)',
    command: [
      'gcloud',
      'run',
      'deploy',
      'eventloom-api',
      '--source',
      '.',
      '--region',
      o.region,
      // Reachable without Cloud Run IAM only because the API verifies a Firebase ID token on every request
      // and every field has a rule: browsers and mobile clients hold Identity Platform tokens, not IAM ones.
      '--service-account',
      sa('eventloom-api'),
      '--allow-unauthenticated',
      '--min-instances',
      '1',
      // A ceiling, so a flood of requests costs a known amount: each instance holds up to 20 WebSocket
      // connections per caller and thousands of subscribers (bench part f).
      '--max-instances',
      String(o.maxInstances ?? 10),
      '--no-cpu-throttling',
      // Subscriptions are requests that last: Cloud Run ends any request at its timeout (5 minutes by default),
      // which would cut every SSE stream and WebSocket. An hour, the most Cloud Run allows, is also an ID token's life.
      '--timeout',
      '3600',
      // `^|^` makes | the separator, so values may hold commas (the allowed origins).
      '--set-env-vars',
      `^|^${[env.replaceAll(',', '|'), `AUTH_PROJECT_ID=${o.project}`, ...(o.firebaseApiKey ? [`FIREBASE_API_KEY=${o.firebaseApiKey}`] : []), ...(o.allowedOrigins ? [`ALLOWED_ORIGINS=${o.allowedOrigins}`] : [])].join('|')}`,
      ...p,
    ],
  });
  for (const fn of [...o.functions, o.deadLetterSink]) {
    steps.push({
      what: `deploy function ${fn}`,
      command: [
        'gcloud',
        'functions',
        'deploy',
        fn,
        '--gen2',
        '--runtime',
        'nodejs22',
        '--region',
        o.region,
        '--source',
        '.',
        '--entry-point',
        fn,
        '--trigger-http',
        '--no-allow-unauthenticated',
        '--service-account',
        sa('eventloom-projector'),
        '--set-env-vars',
        functionEnv,
        ...p,
      ],
    });
    steps.push({
      what: `let Pub/Sub push to ${fn}`,
      command: [
        'gcloud',
        'functions',
        'add-invoker-policy-binding',
        fn,
        '--region',
        o.region,
        '--member',
        `serviceAccount:${pusher}`,
        ...p,
      ],
    });
  }
  for (const fn of o.functions) {
    const subscription = pushSubscriptionName(fn);
    const deadLetterTopic = deadLetterTopicName(subscription);
    steps.push({
      what: `dead-letter topic of ${fn}`,
      command: ['gcloud', 'pubsub', 'topics', 'create', deadLetterTopic, ...p],
      mayAlreadyExist: true,
    });
    steps.push({
      what: `push subscription feeding ${fn}`,
      command: [
        'gcloud',
        'pubsub',
        'subscriptions',
        'create',
        subscription,
        '--topic',
        o.domainEventsTopic,
        '--push-endpoint',
        functionUrl(fn),
        '--push-auth-service-account',
        pusher,
        '--push-auth-token-audience',
        functionUrl(fn),
        '--ack-deadline',
        '30',
        '--min-retry-delay',
        '1s',
        '--max-retry-delay',
        '60s',
        '--dead-letter-topic',
        deadLetterTopic,
        '--max-delivery-attempts',
        '5',
        ...p,
      ],
      mayAlreadyExist: true,
    });
    steps.push({
      what: `dead letters of ${fn} go to the sink`,
      command: [
        'gcloud',
        'pubsub',
        'subscriptions',
        'create',
        deadLetterSinkSubscriptionName(subscription),
        '--topic',
        deadLetterTopic,
        '--push-endpoint',
        functionUrl(o.deadLetterSink),
        '--push-auth-service-account',
        pusher,
        '--push-auth-token-audience',
        functionUrl(o.deadLetterSink),
        ...p,
      ],
      mayAlreadyExist: true,
    });
  }
  return steps;
}

/**
 * A step as one bash command line: arguments quoted unless they are plain words, and the quoted command
 * substitutions the plan uses for function URLs passed through for the shell to run.
 */
export function shellLine(step: DeployStep): string {
  return step.command.map(shellWord).join(' ');
}

function shellWord(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg) || /^"\$\(.*\)"$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", "'\\''")}'`;
}
