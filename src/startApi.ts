/**
 * The API as Cloud Run runs it: HTTP and WebSocket on one port with /healthz and /readyz beside /graphql, the
 * adapters wired from a Config, the outbox relay; with a TelemetryConfig, OpenTelemetry (traces, metrics) and
 * the operator port (/metrics, /traces, src/telemetry/opsServer.ts); and `close()`, the clean shutdown that
 * SIGTERM starts (src/main.ts), which tests can call in-process.
 *
 * A new instance opens its port as soon as the schema is built, and loads its Google Cloud adapters
 * (Firestore, then Pub/Sub and the relay: apiAdapters.ts) right after, off the path of the first request: it
 * answers about as soon as a bare graphql-yoga server would, and an operation that needs the adapters waits for
 * them once (graphql/deferredDeps.ts). /readyz is not ready until they are in and reachable (apiHealth.ts).
 * firebase-admin loads on the first token, or in the background once the adapters are loading.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiAdapters, ApiClients } from './apiAdapters.ts';
import { apiHealth } from './apiHealth.ts';
import { FirebaseTokenVerifier } from './auth/firebaseTokenVerifier.ts';
import type { Config, TelemetryConfig } from './config.ts';
import { createApi } from './graphql/createApi.ts';
import type { AttachedWebSocket } from './graphql/webSocket.ts';
import { createLogger, type Logger } from './logger.ts';
import { projections } from './projections/all.ts';
import { handleHealth, type Readiness } from './telemetry/health.ts';
import { observeLiveCounts } from './telemetry/metrics.ts';
import type { OpsServer } from './telemetry/opsServer.ts';
import type { Telemetry } from './telemetry/startTelemetry.ts';

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
    const { startOpsServer } = await import('./telemetry/opsServer.ts');
    return await startOpsServer(telemetry, readiness, listen);
  } catch (error) {
    logger.error({ err: error, ...listen }, 'operator port not opened: no /metrics or /traces on this instance (set OPS_PORT)');
    return null;
  }
}

/** How often the read models' health is read for the projection gauges, probes or not. */
const PROJECTION_HEALTH_INTERVAL_MS = 30_000;

/** What startApi starts after listening for traces, metrics and the operator port. */
interface Observability {
  readonly telemetry: Telemetry | null;
  readonly ops: OpsServer | null;
  stopObservingLive(): void;
}

/**
 * How long after listening a new instance loads OpenTelemetry and its adapters, once no response is in flight,
 * if no operation or probe has asked for the adapters first.
 */
const ADAPTERS_AFTER_MS = 250;
/** How often it looks again while responses are in flight. */
const IDLE_CHECK_MS = 20;

/** Listens on `config.port` and resolves once connections are accepted; the adapters and the relay follow. */
export async function startApi(config: Config, options: StartApiOptions = {}): Promise<RunningApi> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'api' });
  // Refuses to start without a key-encryption key (production without KMS_KEY_NAME), before listening: the
  // adapters that use it (privacy/personalDataFromConfig.ts) load only afterwards.
  if (config.personalData.kek.kind === 'missing') throw new Error(`Invalid configuration: ${config.personalData.kek.why}`);
  const tokens = new FirebaseTokenVerifier({ projectId: config.authProjectId });
  const connectionTokens = tokens.strict();
  if (config.emulators.auth) {
    logger.warn({ authEmulator: config.emulators.auth }, "accepting the Firebase Auth emulator's unsigned tokens (development only)");
  }

  let closing: Promise<void> | undefined;
  let adapters: Promise<ApiAdapters> | undefined;
  /** The adapters once loaded, for what must not wait (the live gauges). */
  let loaded: ApiAdapters | undefined;
  let relayRunning = false;
  let observability: Promise<Observability> | undefined;
  /** Resolves when something first starts OpenTelemetry: the idle timer below, or an operation or probe. */
  let observabilityStarting: () => void = () => {};
  const observabilityStarted = new Promise<void>((resolve) => {
    observabilityStarting = resolve;
  });
  /**
   * Starts OpenTelemetry (its SDK and exporters: on Google Cloud, google-auth-library and gRPC too) and the
   * operator port, once: before the adapters' clients are created, so that those trace into it (they use the
   * global providers). Requests answered before the providers are registered go untraced.
   */
  const startObservability = (): Promise<Observability> => {
    observabilityStarting();
    observability ??= (async () => {
      const telemetryConfig = options.telemetry;
      if (!telemetryConfig) return { telemetry: null, ops: null, stopObservingLive: () => {} };
      const { startTelemetry } = await import('./telemetry/startTelemetry.ts');
      const telemetry = await startTelemetry(telemetryConfig, { serviceName: 'eventloom-api' });
      // After the providers are registered: the observable gauges bind to the meter provider of the moment.
      const stopObservingLive = observeLiveCounts(() => loaded?.readModels.liveStats() ?? { listeners: 0, subscribers: 0 });
      const ops = await openOpsPort(telemetry, health.readiness, telemetryConfig.ops, logger);
      return { telemetry, ops, stopObservingLive };
    })();
    return observability;
  };
  /**
   * Loads the adapters once, after OpenTelemetry: on the first operation or probe that needs them, or once the
   * first requests are answered (see loadWhenIdle).
   */
  const loadAdapters = (): Promise<ApiAdapters> => {
    if (adapters) return adapters;
    // Shutting down before they were ever needed: nothing to start and nothing to close.
    if (closing) return Promise.reject(new Error('the API is shutting down'));
    const observed = startObservability().catch(() => {});
    adapters = Promise.all([import('./apiAdapters.ts'), observed]).then(([{ startAdapters }]) => {
      loaded = startAdapters(config, {
        logger,
        tokens,
        connectionTokens,
        ...(options.clients ? { clients: options.clients } : {}),
        ...(options.telemetry ? { stallAfterSeconds: options.telemetry.stallAfterSeconds } : {}),
      });
      loaded.relayStarted.then(
        () => {
          relayRunning = !closing;
        },
        (error: unknown) => logger.fatal({ err: error }, 'the outbox relay could not start'),
      );
      void tokens.warmUp();
      void connectionTokens.warmUp();
      return loaded;
    });
    adapters.catch((error: unknown) => {
      // An instance without its adapters cannot serve: say why and stop, and Cloud Run starts another.
      logger.fatal({ err: error }, 'the adapters could not be loaded');
      process.exitCode = 1;
      void close();
    });
    return adapters;
  };

  const api = createApi(
    { load: async () => (await loadAdapters()).deps, tokens, connectionTokens, logger },
    {
      graphiql: config.graphiql,
      introspection: config.introspection,
      dashboardAuth: config.dashboardAuth,
      limits: config.limits,
    },
  );

  const health = apiHealth({
    db: async () => (await loadAdapters()).db,
    topic: async () => (await loadAdapters()).domainEventsTopic,
    relayRunning: () => relayRunning,
    projections,
    stallAfterSeconds: options.telemetry?.stallAfterSeconds ?? 120,
  });
  let refreshing: Promise<unknown> = Promise.resolve();
  const healthRefresh = setInterval(() => {
    refreshing = health.refreshProjections().catch((error: unknown) => logger.warn({ err: error }, 'read-model health not read'));
  }, PROJECTION_HEALTH_INTERVAL_MS).unref();

  const server = createServer((request, response) => {
    if (!handleHealth(health.readiness, request, response)) void api(request, response);
  });
  // graphql-ws and ws load on the first WebSocket handshake: a new instance's first requests are plain HTTP.
  let webSocket: Promise<AttachedWebSocket> | undefined;
  let attachedWebSocket: AttachedWebSocket | undefined;
  server.on('upgrade', function attachOnFirstUpgrade(request, socket, head) {
    server.off('upgrade', attachOnFirstUpgrade);
    webSocket = import('./graphql/webSocket.ts').then(({ attachWebSocket }) => {
      attachedWebSocket = attachWebSocket(api, server, { tokens: connectionTokens, limits: config.limits });
      return attachedWebSocket;
    });
    webSocket.then(
      // ws listens for handshakes from now on: this first one is handed to it as if it had just arrived.
      () => server.emit('upgrade', request, socket, head),
      (error: unknown) => {
        logger.error({ err: error }, 'WebSocket support could not be loaded');
        socket.destroy();
        webSocket = undefined;
        server.on('upgrade', attachOnFirstUpgrade);
      },
    );
  });
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  // Loading takes the event loop for a while (module evaluation is synchronous): not while the first requests
  // are being answered (those that need the adapters start it), but soon enough that the relay starts on an
  // instance that gets no traffic.
  let adaptersTimer = setTimeout(function loadWhenIdle() {
    if (openResponses.size === 0) void loadAdapters().catch(() => {});
    else adaptersTimer = setTimeout(loadWhenIdle, IDLE_CHECK_MS).unref();
  }, ADAPTERS_AFTER_MS).unref();

  // Resolves once OpenTelemetry and the operator port are up, as it did when they started before listening; they
  // start with the adapters, not now.
  let started: Observability;
  try {
    await observabilityStarted;
    started = await startObservability();
  } catch (error) {
    await close();
    throw error;
  }
  const { ops } = started;
  logger.info(
    {
      port,
      graphql: `http://localhost:${port}${api.graphqlEndpoint}`,
      opsPort: ops?.port ?? null,
      traces: options.telemetry?.exporter.kind ?? 'off',
    },
    'api listening',
  );

  async function shutdown(signal: NodeJS.Signals | undefined): Promise<void> {
    logger.info({ signal, responses: openResponses.size, sockets: attachedWebSocket?.connections() ?? 0 }, 'shutting down');
    clearTimeout(adaptersTimer);
    // No new connections; Cloud Run has stopped routing to this instance anyway.
    server.close();
    // The adapters, once they have loaded if they are loading (and none if they never were).
    const inUse = await adapters?.catch(() => undefined);
    // Every live subscription completes: SSE streams send `complete` and end, graphql-ws sends `complete`.
    inUse?.readModels.endLiveStreams();
    await Promise.all([
      // Then WebSockets close with 1001 (going away); graphql-ws clients reconnect to another instance.
      webSocket?.then((attached) => attached.close({ drainMs: 2_000, graceMs: 3_000 })),
      responsesEnded(2_000),
    ]);
    server.closeAllConnections();
    relayRunning = false;
    await inUse?.stopRelay();
    clearInterval(healthRefresh);
    const observed = await observability?.catch(() => undefined);
    observed?.stopObservingLive();
    // A probe's queries still running would fail against closed clients.
    await Promise.race([Promise.all([health.readiness.idle(), refreshing]), sleep(2_000)]);
    await observed?.ops?.close();
    // Last, so the shutdown's own spans are flushed too.
    await observed?.telemetry?.shutdown();
    await inUse?.closeClients();
    logger.info('stopped');
  }

  function close(signal?: NodeJS.Signals): Promise<void> {
    closing ??= shutdown(signal);
    return closing;
  }

  return { port, opsPort: ops?.port ?? null, close };
}
