/**
 * Authentication at the edge: the bearer token of an HTTP request, or the `authorization` connection
 * parameter of a WebSocket (browsers cannot set headers on one), verified into a principal. No
 * credentials means an anonymous caller; credentials that do not verify are refused outright
 * (401 AUTH.UNAUTHENTICATED), never downgraded to anonymous.
 */
import { createGraphQLError } from 'graphql-yoga';
import { UnauthenticatedError, type Principal, type TokenVerifier } from '../auth/principal.ts';

const BEARER = /^Bearer\s+(\S+)$/i;

export async function principalOfRequest(tokens: TokenVerifier, request: Request | undefined): Promise<Principal | null> {
  const header = request?.headers.get('authorization');
  return header ? verified(tokens, header) : null;
}

/** A connection's `authorization` parameter: "Bearer <token>" or the bare token. */
export async function principalOfConnection(tokens: TokenVerifier, connectionParams: unknown): Promise<Principal | null> {
  const value = (connectionParams as { authorization?: unknown } | null | undefined)?.authorization;
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string')
    throw unauthenticated(new UnauthenticatedError('The authorization connection parameter must be a string.'));
  return verified(tokens, BEARER.test(value) ? value : `Bearer ${value}`);
}

async function verified(tokens: TokenVerifier, header: string): Promise<Principal> {
  const token = BEARER.exec(header)?.[1];
  if (!token) throw unauthenticated(new UnauthenticatedError('The Authorization header must be `Bearer <Firebase ID token>`.'));
  try {
    return await tokens.verify(token);
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw unauthenticated(error);
    throw error;
  }
}

function unauthenticated(error: UnauthenticatedError) {
  return createGraphQLError(error.message, {
    extensions: { code: error.code, http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
  });
}
