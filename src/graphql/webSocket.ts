/**
 * GraphQL over WebSocket (graphql-ws protocol) on the API's HTTP server, running through yoga's envelop,
 * so subscriptions here get the same authorization, queues and typed errors as over SSE.
 *
 * Keep-alive: the server pings every socket every `keepAliveMs` and terminates one whose pong has not
 * come back by the next ping, so a vanished client (a laptop lid closed, a dead NAT entry) releases its
 * subscriptions within about two intervals. The pings also keep proxies from idling the connection out.
 *
 * Authentication: the connection's `authorization` parameter (a Firebase ID token) is verified once, when
 * it opens; every operation on it runs as that principal. A token that does not verify closes the socket
 * (4403); so does its expiry, after which graphql-ws clients reconnect with a fresh token.
 *
 * Limits (apiLimits.ts): a handshake from a web page on an origin not allowed is refused (403), since CORS does
 * not apply to WebSockets; a message larger than the HTTP body limit closes the socket (1009); a connection
 * runs at most so many operations at once, the next one is refused with WEBSOCKET.TOO_MANY_OPERATIONS; a
 * caller (`rateLimitKey`) holds at most so many connections, the next one is closed (1013, try again later).
 */
import type { Server } from 'node:http';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { DocumentNode, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Principal, TokenVerifier } from '../auth/principal.ts';
import { DEFAULT_API_LIMITS, type ApiLimits } from '../apiLimits.ts';
import { principalOfConnection } from './authenticate.ts';
import { clientAddress, rateLimitKey } from './callers.ts';
import type { Api, ConnectionContext } from './createApi.ts';
import { isAllowedOrigin } from './crossOrigin.ts';

type EnvelopedExecution = ReturnType<Api['getEnveloped']>;

export interface WebSocketOptions {
  /** Verifies each connection's token when it opens (checking revocation: connections live long). */
  readonly tokens: TokenVerifier;
  /** Ping interval, and how long a pong may take. Default 12 s, like yoga's SSE keep-alive. */
  readonly keepAliveMs?: number;
  /** The same limits the API was created with; default DEFAULT_API_LIMITS. */
  readonly limits?: Pick<ApiLimits, 'allowedOrigins' | 'webSocket' | 'trustedProxyHops'>;
}

export const TOO_MANY_OPERATIONS = 'WEBSOCKET.TOO_MANY_OPERATIONS';
/** 1013, "try again later": graphql-ws clients retry it, with their back-off. */
export const CLOSE_TOO_MANY_CONNECTIONS = 1013;

export interface CloseOptions {
  /**
   * How long to wait for operations in flight to complete first (their streams ended elsewhere, e.g. by
   * `FirestoreReadModels.endLiveStreams`), so each client gets `complete` before the socket closes. Default 0.
   */
  readonly drainMs?: number;
  /** How long a client may take to answer the close before its socket is terminated. Default 3 s. */
  readonly graceMs?: number;
}

export interface AttachedWebSocket {
  /** Open sockets now. */
  connections(): number;
  /** Stops accepting sockets and closes the open ones with 1001 (going away). */
  close(options?: CloseOptions): Promise<void>;
}

/** Close code for a connection whose credentials are refused or have expired: clients retry with fresh ones. */
const CLOSE_UNAUTHENTICATED = 4403;

export function attachWebSocket(api: Api, server: Server, options: WebSocketOptions): AttachedWebSocket {
  const limits = options.limits ?? DEFAULT_API_LIMITS;
  const wsServer = new WebSocketServer({
    server,
    path: api.graphqlEndpoint,
    maxPayload: limits.webSocket.maxPayloadBytes,
    verifyClient: ({ req }, done) =>
      done(isAllowedOrigin(req.headers.origin, req.headers.host, limits.allowedOrigins), 403, 'Origin not allowed'),
  });
  const maxOperations = limits.webSocket.maxOperationsPerConnection;
  const maxConnections = limits.webSocket.maxConnectionsPerCaller;
  /** Open connections per caller. */
  const connectionsOf = new Map<string, number>();
  /** Operations that started and have not completed (graphql-ws calls onComplete for each). */
  let operations = 0;
  /** Who each open connection authenticated as (null: anonymous). */
  const principals = new WeakMap<WebSocket, Principal | null>();
  const disposable = useServer(
    {
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        let principal: Principal | null;
        try {
          principal = await principalOfConnection(options.tokens, ctx.connectionParams);
        } catch (error) {
          socket.close(CLOSE_UNAUTHENTICATED, reasonOf(error));
          return false;
        }
        // Closed while its token was being checked: nothing to count, nothing to close at expiry.
        if (socket.readyState !== socket.OPEN) return false;
        const caller = rateLimitKey({ principal, clientAddress: clientAddress({ req: request }, limits.trustedProxyHops) });
        const open = connectionsOf.get(caller) ?? 0;
        if (open >= maxConnections) {
          socket.close(CLOSE_TOO_MANY_CONNECTIONS, `At most ${maxConnections} connections per caller: close one first.`);
          return false;
        }
        connectionsOf.set(caller, open + 1);
        socket.once('close', () => {
          const left = (connectionsOf.get(caller) ?? 1) - 1;
          if (left > 0) connectionsOf.set(caller, left);
          else connectionsOf.delete(caller);
        });
        principals.set(socket, principal);
        if (principal) closeAtExpiry(socket, principal.expiresAt);
        return true;
      },
      onComplete: () => {
        operations--;
      },
      // An operation refused while it starts (a rate limit) is answered with its error, not by closing the
      // connection, which is what graphql-ws does with whatever execute throws.
      execute: async (args) => {
        try {
          return await (args.rootValue as EnvelopedExecution).execute(args);
        } catch (error) {
          const refusals = refusalsIn(error);
          if (refusals) return { errors: refusals };
          throw error;
        }
      },
      subscribe: (args) => (args.rootValue as EnvelopedExecution).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        // Every operation of the connection that has not completed, this one included.
        if (Object.keys(ctx.subscriptions).length > maxOperations) {
          return [
            createGraphQLError(`At most ${maxOperations} operations may run at once on one connection: complete one first.`, {
              extensions: { code: TOO_MANY_OPERATIONS, maxOperations },
            }),
          ];
        }
        const enveloped = api.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams,
          connectionPrincipal: principals.get(ctx.extra.socket) ?? null,
        } satisfies ConnectionContext & Record<string, unknown>);
        // A document refused while parsing (a syntax error, too many tokens) is answered like an invalid one:
        // with an error for this operation, not by closing the connection (graphql-ws's answer to a throw).
        let document: DocumentNode;
        try {
          document = enveloped.parse(params.query);
        } catch (error) {
          const refusals = refusalsIn(error);
          if (refusals) return refusals;
          throw error;
        }
        let errors: readonly GraphQLError[];
        try {
          errors = enveloped.validate(enveloped.schema, document);
        } catch (error) {
          // A refusal from a limit checked after validation (the price) is thrown: see queryLimits.ts.
          const refusals = refusalsIn(error);
          if (refusals) return refusals;
          throw error;
        }
        if (errors.length > 0) return [...errors];
        const contextValue = await enveloped.contextFactory();
        operations++;
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: enveloped,
        };
      },
    },
    wsServer,
    options.keepAliveMs ?? 12_000,
  );
  return {
    connections: () => wsServer.clients.size,
    close: async ({ drainMs = 0, graceMs = 3_000 } = {}) => {
      const drainUntil = performance.now() + drainMs;
      while (operations > 0 && performance.now() < drainUntil) await sleep(10);
      // onComplete runs just before graphql-ws sends `complete`: let those sends queue ahead of the close frames.
      await nextTurn();
      const closed = disposable.dispose();
      const terminate = setTimeout(() => {
        for (const socket of wsServer.clients) socket.terminate();
      }, graceMs);
      try {
        await closed;
      } finally {
        clearTimeout(terminate);
      }
    },
  };
}

/** Closes the socket when its token expires; the client reconnects with a fresh one. */
function closeAtExpiry(socket: WebSocket, expiresAt: Date): void {
  // setTimeout holds at most about 24.8 days; ID tokens live an hour.
  const timer = setTimeout(
    () => socket.close(CLOSE_UNAUTHENTICATED, 'Token expired: reconnect with a fresh one.'),
    Math.min(Math.max(expiresAt.getTime() - Date.now(), 0), 2 ** 31 - 1),
  );
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** A close reason is at most 123 bytes; only expected refusals say why. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error && 'extensions' in error ? error.message : createGraphQLError('Unauthenticated').message;
  return Buffer.from(message).subarray(0, 123).toString();
}

/** The GraphQL errors a refusal was thrown as (one, or several in an AggregateError); null for anything else. */
function refusalsIn(error: unknown): GraphQLError[] | null {
  if (isGraphQLError(error)) return [error];
  if (error instanceof AggregateError && error.errors.length > 0 && error.errors.every(isGraphQLError)) return error.errors;
  return null;
}

/**
 * By shape rather than instanceof: errors come from whichever copy of the graphql module threw them (ESM and
 * CJS can be side by side, as under vitest).
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && 'extensions' in error && 'locations' in error;
}
