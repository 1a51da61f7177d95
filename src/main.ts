/**
 * The API process (Cloud Run): wires adapters, runs the outbox relay, listens, and shuts down
 * cleanly on SIGTERM, which Cloud Run sends before stopping an instance.
 */
import { createServer, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { PubSub } from '@google-cloud/pubsub';
import { loadConfig } from './config.ts';
import { createFirestore } from './firestore/createFirestore.ts';
import { FirestoreReadModels } from './firestore/firestoreReadModels.ts';
import { FirebaseTokenVerifier } from './auth/firebaseTokenVerifier.ts';
import { createApi } from './graphql/createApi.ts';
import { attachWebSocket } from './graphql/webSocket.ts';
import { createLogger } from './logger.ts';
import { firestoreApiDeps } from './apiDeps.ts';
import { projections } from './projections/all.ts';
import { OutboxRelay } from './outbox/outboxRelay.ts';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, name: 'api' });
const db = createFirestore(config.projectId);
const pubsub = new PubSub({ projectId: config.projectId });

const relay = new OutboxRelay({
  db,
  topic: pubsub.topic(config.domainEventsTopic, { messageOrdering: true }),
  integrationTopic: pubsub.topic(config.integrationEventsTopic, { messageOrdering: true }),
  logger: logger.child({ component: 'outbox-relay' }),
});

const readModels = new FirestoreReadModels(db);
const tokens = new FirebaseTokenVerifier({ projectId: config.authProjectId });
const connectionTokens = tokens.strict();
if (config.emulators.auth) {
  logger.warn({ authEmulator: config.emulators.auth }, 'accepting the Firebase Auth emulator\'s unsigned tokens (development only)');
}
const api = createApi(
  firestoreApiDeps({
    db,
    readModels,
    logger,
    domainEventsTopic: pubsub.topic(config.domainEventsTopic, { messageOrdering: true }),
    projections,
    tokens,
    connectionTokens,
  }),
  { graphiql: config.graphiql, dashboardAuth: config.dashboardAuth },
);

const server = createServer(api);
const webSocket = attachWebSocket(api, server, { tokens: connectionTokens });
/** Responses still being written, SSE streams among them: shutdown lets them finish. */
const openResponses = new Set<ServerResponse>();
server.on('request', (_request, response: ServerResponse) => {
  openResponses.add(response);
  response.once('close', () => openResponses.delete(response));
});
relay.start();
server.listen(config.port, () => {
  logger.info({ port: config.port, graphql: `http://localhost:${config.port}${api.graphqlEndpoint}` }, 'api listening');
});

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
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
  await Promise.allSettled([db.terminate(), pubsub.close()]);
  logger.info('stopped');
  process.exit(0);
}

/** Waits for the responses in flight to end (Cloud Run allows 10 s after SIGTERM in all). */
async function responsesEnded(timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (openResponses.size > 0 && performance.now() < until) await sleep(10);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
