/**
 * The API process (Cloud Run): wires adapters, runs the outbox relay, listens, and shuts down
 * cleanly on SIGTERM, which Cloud Run sends before stopping an instance.
 */
import { createServer } from 'node:http';
import { PubSub } from '@google-cloud/pubsub';
import { loadConfig } from './config.ts';
import { createFirestore } from './firestore/createFirestore.ts';
import { FirestoreReadModels } from './firestore/firestoreReadModels.ts';
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

const api = createApi(
  firestoreApiDeps({
    db,
    readModels: new FirestoreReadModels(db),
    logger,
    domainEventsTopic: pubsub.topic(config.domainEventsTopic, { messageOrdering: true }),
    projections,
    adminActors: config.adminActors,
  }),
  { graphiql: config.graphiql },
);

const server = createServer(api);
const webSocket = attachWebSocket(api, server);
relay.start();
server.listen(config.port, () => {
  logger.info({ port: config.port, graphql: `http://localhost:${config.port}${api.graphqlEndpoint}` }, 'api listening');
});

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down');
  server.close();
  await webSocket.close();
  server.closeAllConnections();
  await relay.stop();
  await Promise.allSettled([db.terminate(), pubsub.close()]);
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
