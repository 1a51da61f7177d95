/**
 * The API on a real port over the Firestore emulator, without the rest of the pipeline: tests of the live
 * machinery (multiplexing, queues, keep-alives, authorization) write read-model documents directly and
 * watch them arrive over SSE and WebSocket.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Firestore } from '@google-cloud/firestore';
import { readModelCollectionName } from '../../src/firestore/firestoreProjector.ts';
import { FirestoreEventStore } from '../../src/firestore/firestoreEventStore.ts';
import { FirestoreReadModels, type ReadModelOptions } from '../../src/firestore/firestoreReadModels.ts';
import { createApi, type Api, type ApiOptions } from '../../src/graphql/createApi.ts';
import { attachWebSocket, type AttachedWebSocket, type WebSocketOptions } from '../../src/graphql/webSocket.ts';
import { createLogger } from '../../src/logger.ts';
import { shardDocumentId, summaryOf } from '../../src/core/projection.ts';
import {
  evolveInventoryCount,
  INVENTORY_PRODUCT_SHARD,
  inventoryCountProjection,
  mergeInventoryCounts,
  type InventoryCount,
} from '../../src/projections/inventoryCount.ts';
import { envelope } from './envelopes.ts';
import { testFirestore } from './firestore.ts';
import { testTokens } from './identities.ts';
import { productAdded } from './shopFixtures.ts';
import { viewsOf } from '../../src/firestore/readModelLayout.ts';

export interface LiveApiOptions {
  readonly readModels?: ReadModelOptions;
  /** Builds the read models instead (e.g. one that counts its reads); `readModels` is then ignored. */
  readonly readModelsOf?: (db: Firestore) => FirestoreReadModels;
  readonly keepAliveMs?: number;
  readonly api?: ApiOptions;
  readonly webSocket?: Omit<WebSocketOptions, 'tokens'>;
}

export interface LiveApi {
  readonly db: Firestore;
  readonly readModels: FirestoreReadModels;
  readonly api: Api;
  readonly webSocket: AttachedWebSocket;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** Firestore listeners the client library holds open now. */
  listeners(): number;
  /** Client connections (HTTP and WebSocket) the server holds open now. */
  connections(): Promise<number>;
  /** Writes a product's InventoryCount view as the projector would. */
  writeProduct(view: InventoryCount): Promise<void>;
  stop(): Promise<void>;
}

export async function startLiveApi(options: LiveApiOptions = {}): Promise<LiveApi> {
  const db = testFirestore();
  const readModels = options.readModelsOf?.(db) ?? new FirestoreReadModels(db, options.readModels);
  const tokens = testTokens();
  const api = createApi(
    {
      store: new FirestoreEventStore(db),
      readModels,
      logger: createLogger({ level: 'silent' }),
      clock: () => new Date(),
      newId: randomUUID,
      tokens,
    },
    options.api,
  );
  const server = createServer(api);
  const webSocket = attachWebSocket(api, server, {
    ...options.webSocket,
    tokens,
    ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return {
    db,
    readModels,
    api,
    webSocket,
    httpUrl: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    // The client library counts its live onSnapshot listeners; it is not in its typings.
    listeners: () => (db as unknown as { registeredListenersCount: number }).registeredListenersCount,
    connections: () => new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    writeProduct: (view) => writeProductView(db, view),
    async stop() {
      readModels.endLiveStreams();
      await webSocket.close({ graceMs: 500 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.terminate();
    },
  };
}

/**
 * A product's view as the projector leaves it after ProductAdded, with any field overridden; an `available`
 * alone sets the units on hand that make it so (a view is read merged from its shards, which derives it).
 */
export function productView(productId: string, overrides: Partial<InventoryCount> = {}): InventoryCount {
  const added = evolveInventoryCount(null, envelope(`product-${productId}`, 1, productAdded(productId, 1000, 10)));
  const view = { ...added, ...overrides };
  return overrides.available === undefined || overrides.onHand !== undefined ? view : { ...view, onHand: view.available + view.reserved };
}

/** Writes a product's view as the projector would: its catalog shard, and the summary the catalog queries select. */
export async function writeProductView(db: Firestore, view: InventoryCount): Promise<void> {
  const products = viewsOf(db, readModelCollectionName(inventoryCountProjection));
  const batch = db.batch();
  batch.set(products.doc(shardDocumentId(view.productId, INVENTORY_PRODUCT_SHARD)), view);
  batch.set(products.doc(view.productId), summaryOf(inventoryCountProjection, mergeInventoryCounts([view]))!);
  // Both writes are sets, so committing again is safe: the emulator, loaded by the whole suite, has now and then
  // answered a write to documents that live queries watch with a bare `2 UNKNOWN` (twice on CI, never here).
  for (let attempt = 1; ; attempt++) {
    try {
      await batch.commit();
      return;
    } catch (error) {
      if ((error as { code?: number }).code !== GRPC_UNKNOWN || attempt === 3) throw error;
    }
  }
}

const GRPC_UNKNOWN = 2;

/** One server-sent event as read off the wire. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Splits a text/event-stream body into events and the comment lines (keep-alives) between them. */
export function parseSse(text: string): { events: SseEvent[]; comments: number; rest: string } {
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: SseEvent[] = [];
  let comments = 0;
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments++;
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0 || event !== 'message') events.push({ event, data: data.join('\n') });
  }
  return { events, comments, rest };
}
