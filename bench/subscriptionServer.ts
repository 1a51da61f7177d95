/**
 * The API process of the subscription benchmark: createApi with HTTP, SSE and WebSocket on a free port,
 * over the Firestore emulator (the project in GOOGLE_CLOUD_PROJECT), alone in its process so that its
 * memory can be measured per subscriber. Tokens are verified as `src/main.ts` verifies them (Auth emulator
 * tokens: FIREBASE_AUTH_EMULATOR_HOST comes from the parent); the subscribers watch public product inventory,
 * anonymously, as the shop's product pages do.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FirebaseTokenVerifier } from '../src/auth/firebaseTokenVerifier.ts';
import { createFirestore } from '../src/firestore/createFirestore.ts';
import { FirestoreEventStore } from '../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels } from '../src/firestore/firestoreReadModels.ts';
import { DEFAULT_API_LIMITS } from '../src/apiLimits.ts';
import { createApi } from '../src/graphql/createApi.ts';
import { attachWebSocket } from '../src/graphql/webSocket.ts';
import { createLogger } from '../src/logger.ts';
import { AUTH_PROJECT_ID } from '../test/support/identities.ts';
import { serveParent } from './benchChild.ts';

const db = createFirestore(process.env.GOOGLE_CLOUD_PROJECT!);
const readModels = new FirestoreReadModels(db);
const tokens = new FirebaseTokenVerifier({ projectId: AUTH_PROJECT_ID });
const connectionTokens = tokens.strict();
const api = createApi({
  store: new FirestoreEventStore(db),
  readModels,
  logger: createLogger({ level: 'error', name: 'bench-api' }),
  clock: () => new Date(),
  newId: randomUUID,
  tokens,
  connectionTokens,
});
const server = createServer(api);
// Every subscriber of the swarm connects from 127.0.0.1, anonymously: one caller, as far as the per-caller
// connection limit can tell.
const webSocket = attachWebSocket(api, server, {
  tokens: connectionTokens,
  limits: { ...DEFAULT_API_LIMITS, webSocket: { ...DEFAULT_API_LIMITS.webSocket, maxConnectionsPerCaller: Number.POSITIVE_INFINITY } },
});
// Thousands of clients connect at once.
const port = await new Promise<number>((resolve) =>
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve((server.address() as AddressInfo).port)),
);

const gc = (globalThis as { gc?: () => void }).gc;

serveParent(
  async (message) => {
    switch (message.type) {
      case 'memory': {
        for (let i = 0; i < 3; i++) {
          gc?.();
          await nextTurn();
        }
        const { heapUsed, rss } = process.memoryUsage();
        return {
          heapUsed,
          rss,
          firestoreListeners: (db as unknown as { registeredListenersCount: number }).registeredListenersCount,
          ...readModels.liveStats(),
          sockets: webSocket.connections(),
        };
      }
      case 'stop':
        readModels.endLiveStreams();
        await webSocket.close({ graceMs: 1_000 });
        server.closeAllConnections();
        server.close();
        await db.terminate();
        return process.exit(0);
      default:
        throw new Error(`unknown request ${message.type}`);
    }
  },
  { port },
);
