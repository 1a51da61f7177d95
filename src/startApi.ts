/**
 * The API as Cloud Run runs it: adapters wired from a Config, the outbox relay, HTTP and WebSocket on one
 * port; and `close()`, the clean shutdown that SIGTERM starts (src/main.ts), which tests can call in-process.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { firestoreApiDeps } from './apiDeps.ts';
import { FirebaseTokenVerifier } from './auth/firebaseTokenVerifier.ts';
import type { Config } from './config.ts';
import { createFirestore } from './firestore/createFirestore.ts';
import { FirestoreReadModels } from './firestore/firestoreReadModels.ts';
import { createApi } from './graphql/createApi.ts';
import { attachWebSocket } from './graphql/webSocket.ts';
import { createLogger, type Logger } from './logger.ts';
import { OutboxRelay } from './outbox/outboxRelay.ts';
import { personalDataFromConfig } from './privacy/personalDataFromConfig.ts';
import { projections } from './projections/all.ts';

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
}

export interface RunningApi {
  /** The port it listens on: the configured one, or the one the system picked for 0. */
  readonly port: number;
  /**
   * Shuts down cleanly, within Cloud Run's 10 s between SIGTERM and SIGKILL: stops accepting connections,
   * completes every live subscription (SSE streams send `complete` and end; WebSockets get `complete`, then
   * close with 1001, going away), waits briefly for responses in flight, stops the outbox relay and closes
   * the clients it created. Later calls return the first call's promise.
   */
  close(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the relay and listens on `config.port`; resolves once connections are accepted. */
export async function startApi(config: Config, options: StartApiOptions = {}): Promise<RunningApi> {
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
  });

  const readModels = new FirestoreReadModels(db);
  const tokens = new FirebaseTokenVerifier({ projectId: config.authProjectId });
  const connectionTokens = tokens.strict();
  if (config.emulators.auth) {
    logger.warn({ authEmulator: config.emulators.auth }, "accepting the Firebase Auth emulator's unsigned tokens (development only)");
  }
  const api = createApi(
    firestoreApiDeps({ db, readModels, logger, domainEventsTopic, projections, tokens, connectionTokens, personalData }),
    {
      graphiql: config.graphiql,
      introspection: config.introspection,
      dashboardAuth: config.dashboardAuth,
      limits: config.limits,
    },
  );

  const server = createServer(api);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, graphql: `http://localhost:${port}${api.graphqlEndpoint}` }, 'api listening');

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
    await relay.stop();
    if (!options.clients) await Promise.allSettled([db.terminate(), pubsub.close()]);
    logger.info('stopped');
  }

  return {
    port,
    close(signal) {
      closing ??= shutdown(signal);
      return closing;
    },
  };
}
