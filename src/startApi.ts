/**
 * The API as Cloud Run runs it: adapters wired from a Config, the outbox relay, HTTP and WebSocket on one
 * port with /healthz and /readyz beside /graphql; with a TelemetryConfig, OpenTelemetry (traces, metrics) and
 * the operator port (/metrics, /traces, src/telemetry/opsServer.ts); and `close()`, the clean shutdown that SIGTERM starts (src/main.ts), which tests can call in-process.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { firestoreApiDeps } from './apiDeps.ts';
import { apiHealth } from './apiHealth.ts';
import { FirebaseTokenVerifier } from './auth/firebaseTokenVerifier.ts';
import type { Config, TelemetryConfig } from './config.ts';
import { createFirestore } from './firestore/createFirestore.ts';
import { FirestoreReadModels } from './firestore/firestoreReadModels.ts';
import { createApi } from './graphql/createApi.ts';
import { attachWebSocket } from './graphql/webSocket.ts';
import { createLogger, type Logger } from './logger.ts';
import { OutboxRelay } from './outbox/outboxRelay.ts';
import { personalDataFromConfig } from './privacy/personalDataFromConfig.ts';
import { projections } from './projections/all.ts';
import { handleHealth, type Readiness } from './telemetry/health.ts';
import { observeLiveCounts } from './telemetry/metrics.ts';
import { type OpsServer, startOpsServer } from './telemetry/opsServer.ts';
import { startTelemetry, type Telemetry } from './telemetry/startTelemetry.ts';

/** The Google Cloud clients the API talks through. */
interface ApiClients {
  readonly db: Firestore;
  readonly pubsub: PubSub;
}

interface StartApiOptions {
  /** Default: JSON logs at the configured level. */
  readonly logger?: Logger;
  /**
   * Default: clients for the configured project, which close() closes. Clients given here stay open for
   * their owner to close (tests use them to look at what the API left behind).
   */
  readonly clients?: ApiClients;
  /**
   * Traces, metrics and the operator port (src/main.ts passes loadTelemetryConfig()). Without it, nothing is
   * registered with OpenTelemetry and no operator port opens; /healthz and /readyz are served all the same.
   */
  readonly telemetry?: TelemetryConfig;
}

export interface RunningApi {
  /** The port it listens on: the configured one, or the one the system picked for 0. */
  readonly port: number;
  /** The operator port (/metrics, /traces, /readyz), when telemetry is configured. */
  readonly opsPort: number | null;
  /**
   * Shuts down cleanly, within Cloud Run's 10 s between SIGTERM and SIGKILL: stops accepting connections,
   * completes every live subscription (SSE streams send `complete` and end; WebSockets get `complete`, then
   * close with 1001, going away), waits briefly for responses in flight, stops the outbox relay and closes
   * the clients it created. Later calls return the first call's promise.
   */
  close(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the relay and listens on `config.port`; resolves once connections are accepted. */
/**
 * The operator port is secondary to serving: when it cannot open (another local API holds 9464), the API
 * runs without it and says so, rather than not at all.
 */
async function openOpsPort(
  telemetry: Telemetry,
  readiness: Readiness,
  listen: TelemetryConfig['ops'],
  logger: Logger,
): Promise<OpsServer | null> {
  try {
    return await startOpsServer(telemetry, readiness, listen);
  } catch (error) {
    logger.error({ err: error, ...listen }, 'operator port not opened: no /metrics or /traces on this instance (set OPS_PORT)');
    return null;
  }
}

/** How often the read models' health is read for the projection gauges, probes or not. */
const PROJECTION_HEALTH_INTERVAL_MS = 30_000;

export async function startApi(config: Config, options: StartApiOptions = {}): Promise<RunningApi> {
  // First, so the clients created below trace into it (they use the global provider).
  const telemetry: Telemetry | null = options.telemetry ? await startTelemetry(options.telemetry, { serviceName: 'eventloom-api' }) : null;
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'api' });
  const { db, pubsub } = options.clients ?? {
    db: createFirestore(config.projectId),
    pubsub: new PubSub({ projectId: config.projectId }),
  };
  const domainEventsTopic = pubsub.topic(config.domainEventsTopic, { messageOrdering: true });
  // Refuses to start without a key-encryption key (production without KMS_KEY_NAME).
  const personalData = personalDataFromConfig(config, db);

  const relay = new OutboxRelay({
    db,
    topic: domainEventsTopic,
    integrationTopic: pubsub.topic(config.integrationEventsTopic, { messageOrdering: true }),
    logger: logger.child({ component: 'outbox-relay' }),
    openPersonalData: (events) => personalData.protection.open(events),
    // Every instance runs a relay; the leases make each partition's events go out through one of them.
    leases: config.outboxLeases,
  });

  const readModels = new FirestoreReadModels(db);
  const tokens = new FirebaseTokenVerifier({ projectId: config.authProjectId });
  const connectionTokens = tokens.strict();
  if (config.emulators.auth) {
    logger.warn({ authEmulator: config.emulators.auth }, "accepting the Firebase Auth emulator's unsigned tokens (development only)");
  }
  const api = createApi(
    firestoreApiDeps({
      db,
      readModels,
      logger,
      domainEventsTopic,
      projections,
      tokens,
      connectionTokens,
      personalData,
      ...(options.telemetry ? { stallAfterSeconds: options.telemetry.stallAfterSeconds } : {}),
    }),
    {
      graphiql: config.graphiql,
      introspection: config.introspection,
      dashboardAuth: config.dashboardAuth,
      limits: config.limits,
    },
  );

  let relayRunning = false;
  const health = apiHealth({
    db,
    topic: domainEventsTopic,
    relayRunning: () => relayRunning,
    projections,
    stallAfterSeconds: options.telemetry?.stallAfterSeconds ?? 120,
  });
  const stopObservingLive = observeLiveCounts(() => readModels.liveStats());
  let refreshing: Promise<unknown> = Promise.resolve();
  const healthRefresh = setInterval(() => {
    refreshing = health.refreshProjections().catch((error: unknown) => logger.warn({ err: error }, 'read-model health not read'));
  }, PROJECTION_HEALTH_INTERVAL_MS).unref();

  const server = createServer((request, response) => {
    if (!handleHealth(health.readiness, request, response)) void api(request, response);
  });
  const webSocket = attachWebSocket(api, server, { tokens: connectionTokens, limits: config.limits });
  /** Responses still being written, SSE streams among them: shutdown lets them finish. */
  const openResponses = new Set<ServerResponse>();
  server.on('request', (_request, response: ServerResponse) => {
    openResponses.add(response);
    response.once('close', () => openResponses.delete(response));
  });

  /** Waits for the responses in flight to end (Cloud Run allows 10 s after SIGTERM in all). */
  async function responsesEnded(timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (openResponses.size > 0 && performance.now() < until) await sleep(10);
  }

  relay.start();
  relayRunning = true;
  const ops = telemetry && options.telemetry ? await openOpsPort(telemetry, health.readiness, options.telemetry.ops, logger) : null;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(
    {
      port,
      graphql: `http://localhost:${port}${api.graphqlEndpoint}`,
      opsPort: ops?.port ?? null,
      traces: options.telemetry?.exporter.kind ?? 'off',
    },
    'api listening',
  );

  let closing: Promise<void> | undefined;
  async function shutdown(signal: NodeJS.Signals | undefined): Promise<void> {
    logger.info({ signal, responses: openResponses.size, sockets: webSocket.connections() }, 'shutting down');
    // No new connections; Cloud Run has stopped routing to this instance anyway.
    server.close();
    // Every live subscription completes: SSE streams send `complete` and end, graphql-ws sends `complete`.
    readModels.endLiveStreams();
    await Promise.all([
      // Then WebSockets close with 1001 (going away); graphql-ws clients reconnect to another instance.
      webSocket.close({ drainMs: 2_000, graceMs: 3_000 }),
      responsesEnded(2_000),
    ]);
    server.closeAllConnections();
    relayRunning = false;
    await relay.stop();
    clearInterval(healthRefresh);
    stopObservingLive();
    // A probe's queries still running would fail against closed clients.
    await Promise.race([Promise.all([health.readiness.idle(), refreshing]), sleep(2_000)]);
    await ops?.close();
    // Last, so the shutdown's own spans are flushed too.
    await telemetry?.shutdown();
    if (!options.clients) await Promise.allSettled([db.terminate(), pubsub.close()]);
    logger.info('stopped');
  }

  return {
    port,
    opsPort: ops?.port ?? null,
    close(signal) {
      closing ??= shutdown(signal);
      return closing;
    },
  };
}
