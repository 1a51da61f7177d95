/** The only module that reads process.env: everything else receives a validated Config. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EventloomError } from './core/errors.ts';
import { DEFAULT_API_LIMITS, type ApiLimits } from './apiLimits.ts';
import type { OutboxDiscovery } from './outbox/outboxRelay.ts';

const limit = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** `scheme://host[:port]`, as a browser sends it in Origin. */
const OriginSchema = z.string().refine((value) => URL.canParse(value) && new URL(value).origin === value, {
  message: 'must be an origin such as https://shop.example.com (scheme, host, port; no path, no trailing slash)',
});
const OriginListSchema = z
  .string()
  .transform((list) =>
    list
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .pipe(z.array(OriginSchema));
const Q = DEFAULT_API_LIMITS.query;

const ConfigSchema = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default('demo-eventloom'),
  PORT: z.coerce.number().int().positive().default(4000),
  FIRESTORE_EMULATOR_HOST: z.string().optional(),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  DOMAIN_EVENTS_TOPIC: z.string().min(3).default('eventloom-domain-events'),
  INTEGRATION_EVENTS_TOPIC: z.string().min(3).default('eventloom-integration-events'),
  /** The Firebase Authentication / Identity Platform project whose ID tokens are accepted. Default: this project. */
  AUTH_PROJECT_ID: z.string().min(1).optional(),
  /** The Firebase Auth emulator: its unsigned tokens are accepted while this is set, so production refuses it. */
  FIREBASE_AUTH_EMULATOR_HOST: z.string().optional(),
  /** The Firebase web app's API key, for the dashboard's sign-in: public (it names the project, grants nothing). Not needed with the emulator. */
  FIREBASE_API_KEY: z.string().min(1).optional(),
  /** The web app's auth domain. Default <AUTH_PROJECT_ID>.firebaseapp.com. */
  FIREBASE_AUTH_DOMAIN: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
  // Abuse limits: see src/apiLimits.ts for what each one bounds.
  /** Comma-separated origins browsers may call the API from. */
  ALLOWED_ORIGINS: z.string().default(DEFAULT_API_LIMITS.allowedOrigins.join(',')).pipe(OriginListSchema),
  MAX_REQUEST_BODY_BYTES: limit(DEFAULT_API_LIMITS.maxRequestBodyBytes),
  QUERY_MAX_DEPTH: limit(Q.maxDepth),
  QUERY_MAX_ALIASES: limit(Q.maxAliases),
  QUERY_MAX_TOKENS: limit(Q.maxTokens),
  QUERY_MAX_DIRECTIVES: limit(Q.maxDirectives),
  QUERY_MAX_COST: limit(Q.maxCost),
  WS_MAX_PAYLOAD_BYTES: limit(DEFAULT_API_LIMITS.webSocket.maxPayloadBytes),
  WS_MAX_OPERATIONS_PER_CONNECTION: limit(DEFAULT_API_LIMITS.webSocket.maxOperationsPerConnection),
  WS_MAX_CONNECTIONS_PER_CALLER: limit(DEFAULT_API_LIMITS.webSocket.maxConnectionsPerCaller),
  /** Calls of each root query or mutation field one caller may make per RATE_LIMIT_WINDOW_SECONDS. */
  RATE_LIMIT_MAX_CALLS: limit(DEFAULT_API_LIMITS.rateLimit.max),
  RATE_LIMIT_WINDOW_SECONDS: limit(DEFAULT_API_LIMITS.rateLimit.windowMs / 1000),
  /**
   * Proxies in front of the API that append to X-Forwarded-For. Default 1 on Cloud Run (K_SERVICE is set
   * there), whose front end puts the caller's address last; 0 elsewhere (the socket's peer).
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).optional(),
  K_SERVICE: z.string().optional(),
  // Personal data (crypto-shredding, src/privacy/): what wraps the customers' data keys.
  /** The Cloud KMS key (`projects/P/locations/L/keyRings/R/cryptoKeys/K`) that wraps data keys: required in production. */
  KMS_KEY_NAME: z
    .string()
    .regex(
      /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/,
      'must be projects/P/locations/L/keyRings/R/cryptoKeys/K',
    )
    .optional(),
  /** Outside production only: a local key-encryption key (32 bytes, base64). Default with the emulators: a fixed development key. */
  LOCAL_DATA_KEK: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  /** How long a process keeps an unwrapped data key in memory (and so may still read a just-forgotten customer). */
  DATA_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).default(30),
  /**
   * Outbox relay leases: how long a relay's claim on a partition lasts without renewal (the longest a killed
   * instance's partitions wait for another relay) and how often relays renew and rebalance (default a third).
   */
  OUTBOX_LEASE_MS: z.coerce.number().int().min(1000).default(12_000),
  OUTBOX_HEARTBEAT_MS: z.coerce.number().int().min(100).optional(),
  /**
   * How the relay learns of committed events (src/outbox/outboxRelay.ts, OutboxDiscovery): `listen`, a listener per
   * partition (production's; the default without the Firestore emulator), or `poll`, one query over every
   * partition each OUTBOX_POLL_MS (the emulators' default: their listeners cost more the more events are stored).
   * The API's own commits are published at once (OutboxRelay.nudge); the interval is how long another process's
   * commits (the payment workflow's) may wait, and what an idle `npm run dev` spends: each round costs the emulator
   * about 30 ms of CPU, so 500 ms is about 6 % of a core.
   */
  OUTBOX_DISCOVERY: z.enum(['listen', 'poll']).optional(),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(500),
  /**
   * A listening relay's safety net: each partition's catch-up query every OUTBOX_CATCH_UP_MS, so an event a listener
   * never reports goes out within that time. Finding nothing, a query bills one read: 16 a minute by default, however
   * many relays share the partitions. 0: none. Polling relays have none: each round reads every partition afresh.
   */
  OUTBOX_CATCH_UP_MS: z.coerce
    .number()
    .int()
    .refine((ms) => ms === 0 || ms >= 100, 'must be 0 (no catch-up) or at least 100')
    .default(60_000),
  /** How long a placed order may stay unpaid before the payment workflow cancels it (src/fulfilment/). */
  PAYMENT_WINDOW_MINUTES: z.coerce.number().positive().default(30),
  /**
   * What the live sales dashboard listens to: `parts` (every event's contribution) or `shards` (the roll-ups alone,
   * for past about 100× the demo load: FirestoreReadModels' rolledUpLive says why).
   */
  LIVE_ROLLED_UP_VIEWS: z.enum(['parts', 'shards']).default('parts'),
});

/**
 * The emulators' key-encryption key when none is configured: fixed, so data written by `npm run dev` stays
 * readable across restarts. It protects nothing (it is in the source), which is why production refuses it.
 */
const DEVELOPMENT_DATA_KEK = createHash('sha256').update('eventloom development key-encryption key (emulators only)').digest();

/** What wraps the customers' data keys; `missing`: a process that seals or opens personal data refuses to start. */
export type KeyEncryptionKeyConfig =
  | { kind: 'kms'; keyName: string }
  | { kind: 'local'; key: Buffer; name: string }
  | { kind: 'missing'; why: string };

export type Config = {
  projectId: string;
  port: number;
  domainEventsTopic: string;
  integrationEventsTopic: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** The payment window of a placed order (PAYMENT_WINDOW_MINUTES). */
  paymentWindowMs: number;
  graphiql: boolean;
  /** Introspection and field suggestions: outside production only. */
  introspection: boolean;
  limits: ApiLimits;
  /** How the API's outbox relay shares the partitions with the relays of other instances. */
  outboxLeases: { leaseMs: number; heartbeatMs: number };
  /** How the API's outbox relay learns of committed events. */
  outboxDiscovery: OutboxDiscovery;
  /** How often a listening relay runs its catch-up query as a safety net (OUTBOX_CATCH_UP_MS); null: never. */
  outboxCatchUpMs: number | null;
  /** What live rolled-up views listen to (LIVE_ROLLED_UP_VIEWS). */
  rolledUpLive: 'parts' | 'shards';
  /** Whose ID tokens are accepted (their `aud`). */
  authProjectId: string;
  emulators: { firestore?: string; pubsub?: string; auth?: string };
  /** How the dashboard signs staff in (the Firebase web config of the auth project); null: not configured. */
  dashboardAuth: { apiKey: string; authDomain: string; projectId: string; emulatorUrl?: string } | null;
  /** Crypto-shredding of personal data: the key-encryption key and how long data keys are cached. */
  personalData: { kek: KeyEncryptionKeyConfig; keyCacheMs: number };
};

/**
 * A process that talks to Firestore and Pub/Sub: its project must be a real one, or the emulators must be
 * there. `demo-*` projects (the default, demo-eventloom) exist only on the emulators; without them the client
 * libraries would quietly go to Google Cloud under that name and fail in confusing ways.
 */
export function assertProjectReachable(config: Config): Config {
  if (config.projectId.startsWith('demo-') && !config.emulators.firestore) {
    throw new Error(
      `Invalid configuration: ${config.projectId} is an emulator-only project and FIRESTORE_EMULATOR_HOST is not set. ` +
        'Start the emulators (npm run dev, or npm run emulators and export the hosts it prints), or set ' +
        'GOOGLE_CLOUD_PROJECT to your Google Cloud project.',
    );
  }
  return config;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse({ ...env, GOOGLE_CLOUD_PROJECT: env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT });
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && e.FIREBASE_AUTH_EMULATOR_HOST) {
    throw new Error('Invalid configuration: FIREBASE_AUTH_EMULATOR_HOST is set in production, where it would accept unsigned tokens.');
  }
  const kek = keyEncryptionKeyOf(e);
  const discovery = e.OUTBOX_DISCOVERY ?? (e.FIRESTORE_EMULATOR_HOST ? 'poll' : 'listen');
  if (discovery === 'poll' && !e.FIRESTORE_EMULATOR_HOST) {
    throw new Error(
      'Invalid configuration: OUTBOX_DISCOVERY=poll is for the Firestore emulator (FIRESTORE_EMULATOR_HOST); on Firestore its ' +
        'query would need a store-wide index on recordedAt, the hotspot the partitions avoid. Leave it unset to listen.',
    );
  }
  const authProjectId = e.AUTH_PROJECT_ID ?? e.GOOGLE_CLOUD_PROJECT;
  // The Auth emulator takes any API key; a real project needs its web app's key.
  const apiKey = e.FIREBASE_API_KEY ?? (e.FIREBASE_AUTH_EMULATOR_HOST ? 'demo-api-key' : undefined);
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    port: e.PORT,
    domainEventsTopic: e.DOMAIN_EVENTS_TOPIC,
    integrationEventsTopic: e.INTEGRATION_EVENTS_TOPIC,
    logLevel: e.LOG_LEVEL,
    paymentWindowMs: e.PAYMENT_WINDOW_MINUTES * 60_000,
    graphiql: e.NODE_ENV !== 'production',
    introspection: e.NODE_ENV !== 'production',
    limits: {
      query: {
        maxDepth: e.QUERY_MAX_DEPTH,
        maxAliases: e.QUERY_MAX_ALIASES,
        maxTokens: e.QUERY_MAX_TOKENS,
        maxDirectives: e.QUERY_MAX_DIRECTIVES,
        maxCost: e.QUERY_MAX_COST,
      },
      maxRequestBodyBytes: e.MAX_REQUEST_BODY_BYTES,
      allowedOrigins: e.ALLOWED_ORIGINS,
      webSocket: {
        maxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
        maxOperationsPerConnection: e.WS_MAX_OPERATIONS_PER_CONNECTION,
        maxConnectionsPerCaller: e.WS_MAX_CONNECTIONS_PER_CALLER,
      },
      rateLimit: { max: e.RATE_LIMIT_MAX_CALLS, windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000 },
      trustedProxyHops: e.TRUSTED_PROXY_HOPS ?? (e.K_SERVICE ? 1 : DEFAULT_API_LIMITS.trustedProxyHops),
    },
    outboxLeases: { leaseMs: e.OUTBOX_LEASE_MS, heartbeatMs: e.OUTBOX_HEARTBEAT_MS ?? Math.round(e.OUTBOX_LEASE_MS / 3) },
    outboxDiscovery: discovery === 'poll' ? { mode: 'poll', intervalMs: e.OUTBOX_POLL_MS } : { mode: 'listen' },
    outboxCatchUpMs: e.OUTBOX_CATCH_UP_MS === 0 ? null : e.OUTBOX_CATCH_UP_MS,
    rolledUpLive: e.LIVE_ROLLED_UP_VIEWS,
    authProjectId,
    emulators: { firestore: e.FIRESTORE_EMULATOR_HOST, pubsub: e.PUBSUB_EMULATOR_HOST, auth: e.FIREBASE_AUTH_EMULATOR_HOST },
    dashboardAuth: apiKey
      ? {
          apiKey,
          authDomain: e.FIREBASE_AUTH_DOMAIN ?? `${authProjectId}.firebaseapp.com`,
          projectId: authProjectId,
          ...(e.FIREBASE_AUTH_EMULATOR_HOST ? { emulatorUrl: `http://${e.FIREBASE_AUTH_EMULATOR_HOST}` } : {}),
        }
      : null,
    personalData: { kek, keyCacheMs: e.DATA_KEY_CACHE_SECONDS * 1000 },
  };
}

/**
 * Cloud KMS when configured; a local key only outside production. What is missing is said here and refused
 * by the processes that seal or open personal data, when they start (src/privacy/personalDataFromConfig.ts).
 */
function keyEncryptionKeyOf(e: z.infer<typeof ConfigSchema>): KeyEncryptionKeyConfig {
  if (e.KMS_KEY_NAME) return { kind: 'kms', keyName: e.KMS_KEY_NAME };
  if (e.NODE_ENV === 'production') {
    return {
      kind: 'missing',
      why:
        "KMS_KEY_NAME is not set in production: customers' data keys must be wrapped by a Cloud KMS key " +
        '(projects/P/locations/L/keyRings/R/cryptoKeys/K); LOCAL_DATA_KEK and the development key are for the emulators only.',
    };
  }
  if (e.LOCAL_DATA_KEK) return { kind: 'local', key: Buffer.from(e.LOCAL_DATA_KEK, 'base64'), name: 'configured' };
  if (e.FIRESTORE_EMULATOR_HOST) return { kind: 'local', key: DEVELOPMENT_DATA_KEK, name: 'development' };
  return { kind: 'missing', why: 'neither KMS_KEY_NAME nor LOCAL_DATA_KEK is set, and FIRESTORE_EMULATOR_HOST is not set either' };
}

/**
 * Push authentication is the functions' concern alone, so it has its own loader: the API and the scripts
 * load Config without it and need none of these settings.
 */
const PushAuthSchema = z.object({
  /** `required` (the default outside the emulators) or `off` (refused outside the emulators). */
  PUSH_AUTH: z.enum(['required', 'off']).optional(),
  /** The `aud` a push token must carry; unset, the URL the push was sent to (Pub/Sub's default audience). */
  PUSH_AUDIENCE: z.string().min(1).optional(),
  /** The service account Pub/Sub pushes as (the subscriptions' --push-auth-service-account). */
  PUSH_SERVICE_ACCOUNT: z.email().optional(),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  NODE_ENV: z.string().default('development'),
});

export type PushAuthConfig =
  | {
      readonly mode: 'required';
      readonly serviceAccount: string;
      /** null: each function expects its own URL. */
      readonly audience: string | null;
    }
  | { readonly mode: 'off'; readonly why: string };

/** A push-authentication setting that would leave the push endpoints open, or that cannot be checked. */
class InvalidPushAuthConfigError extends EventloomError {
  readonly code = 'CONFIG.PUSH_AUTH';
}

export function loadPushAuthConfig(env: NodeJS.ProcessEnv = process.env): PushAuthConfig {
  const parsed = PushAuthSchema.safeParse(env);
  if (!parsed.success) {
    throw new InvalidPushAuthConfigError(`Invalid push authentication configuration: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  // The Pub/Sub emulator pushes without tokens, so only there may the endpoints go without checking them.
  const emulated = e.PUBSUB_EMULATOR_HOST !== undefined && e.NODE_ENV !== 'production';
  const mode = e.PUSH_AUTH ?? (emulated ? 'off' : 'required');
  if (mode === 'off') {
    if (!emulated) {
      throw new InvalidPushAuthConfigError(
        'PUSH_AUTH=off is refused outside the emulators (NODE_ENV=production or no PUBSUB_EMULATOR_HOST): anyone ' +
          'could then POST events into the read models. Unset it and set PUSH_SERVICE_ACCOUNT to the account Pub/Sub pushes as.',
      );
    }
    return { mode: 'off', why: e.PUSH_AUTH === 'off' ? 'PUSH_AUTH=off' : 'the Pub/Sub emulator pushes without tokens' };
  }
  if (!e.PUSH_SERVICE_ACCOUNT) {
    throw new InvalidPushAuthConfigError(
      'Push authentication is required but PUSH_SERVICE_ACCOUNT is not set: it names the service account ' +
        'Pub/Sub pushes as (--push-auth-service-account), the only one whose tokens the push endpoints accept.',
    );
  }
  return { mode: 'required', serviceAccount: e.PUSH_SERVICE_ACCOUNT, audience: e.PUSH_AUDIENCE ?? null };
}

/**
 * Traces, metrics and health (src/telemetry/): the API and the functions each load it beside their own
 * config. See docs/observability.md for what each setting does.
 */
const TelemetrySchema = z.object({
  GOOGLE_CLOUD_PROJECT: z.string().min(1).default('demo-eventloom'),
  /** `true`: no tracer or meter provider at all (the API's calls stay no-ops); the standard OpenTelemetry switch. */
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  /** Set: spans and metrics go there over OTLP/HTTP (a collector, a Cloud Run sidecar, the dev API's receiver). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** The share of new traces (no sampled parent) that are recorded. Default 1 locally, 0.1 on Google Cloud. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  /** The port of the operator endpoints (/metrics, /traces, /readyz); 0 picks a free one. */
  OPS_PORT: z.coerce.number().int().min(0).default(9464),
  /** Where the operator port listens: loopback by default, reachable by a sidecar, never by the internet. */
  OPS_HOST: z.string().min(1).default('127.0.0.1'),
  /** How long a read model may have events pending before /readyz and the stall metric report it stalled. */
  PROJECTION_STALL_SECONDS: z.coerce.number().positive().default(120),
  K_SERVICE: z.string().optional(),
  FUNCTION_TARGET: z.string().optional(),
  FIRESTORE_EMULATOR_HOST: z.string().optional(),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
});

export interface TelemetryConfig {
  readonly enabled: boolean;
  readonly projectId: string;
  /**
   * Where spans and metrics go: `google-cloud` (Cloud Trace and Cloud Monitoring: on Cloud Run or Cloud Functions,
   * off the emulators), `otlp` (OTEL_EXPORTER_OTLP_ENDPOINT), or `memory` (the last traces in this process, for
   * `npm run traces`; metrics only on /metrics).
   */
  readonly exporter: { readonly kind: 'google-cloud' } | { readonly kind: 'otlp'; readonly endpoint: string } | { readonly kind: 'memory' };
  readonly sampleRatio: number;
  readonly ops: { readonly port: number; readonly host: string };
  readonly stallAfterSeconds: number;
  /** The Cloud Run service or function name, when running there. */
  readonly instance: string | null;
}

export function loadTelemetryConfig(env: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  const parsed = TelemetrySchema.safeParse({ ...env, GOOGLE_CLOUD_PROJECT: env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT });
  if (!parsed.success) {
    throw new Error(`Invalid telemetry configuration: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  const onGoogleCloud = Boolean(e.K_SERVICE ?? e.FUNCTION_TARGET) && !e.FIRESTORE_EMULATOR_HOST && !e.PUBSUB_EMULATOR_HOST;
  const exporter: TelemetryConfig['exporter'] = e.OTEL_EXPORTER_OTLP_ENDPOINT
    ? { kind: 'otlp', endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT }
    : onGoogleCloud
      ? { kind: 'google-cloud' }
      : { kind: 'memory' };
  return {
    enabled: e.OTEL_SDK_DISABLED !== 'true',
    projectId: e.GOOGLE_CLOUD_PROJECT,
    exporter,
    sampleRatio: e.OTEL_TRACES_SAMPLER_ARG ?? (onGoogleCloud ? 0.1 : 1),
    ops: { port: e.OPS_PORT, host: e.OPS_HOST },
    stallAfterSeconds: e.PROJECTION_STALL_SECONDS,
    instance: e.K_SERVICE ?? e.FUNCTION_TARGET ?? null,
  };
}
