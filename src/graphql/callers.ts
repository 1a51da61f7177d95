/**
 * Who a caller is, for the limits that count per caller (rate limits, WebSocket connections): one key per
 * caller, `rateLimitKey`. A signed-in caller is their principal, from whichever address and connection; an
 * anonymous one is their network address.
 *
 * The address is the socket's peer, or, behind proxies that append the address they saw to X-Forwarded-For
 * (Cloud Run's front end does), the entry `trustedProxyHops` from the end: entries left of it are whatever
 * the client wrote. IPv6 addresses count by their /64 prefix, the block one subscriber usually holds: one
 * machine can otherwise take a fresh address per request.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/** What yoga and graphql-ws hand the API about a request: the fetch Request, and/or node's IncomingMessage. */
export interface RequestOrigin {
  readonly request?: { readonly headers: { get(name: string): string | null } };
  readonly req?: IncomingMessage;
}

/** The caller's address (IPv6 by its /64), or null when the request came in without a socket (tests). */
export function clientAddress({ request, req }: RequestOrigin, trustedProxyHops: number): string | null {
  let address = req?.socket?.remoteAddress;
  if (trustedProxyHops > 0) {
    const header = request?.headers.get('x-forwarded-for') ?? req?.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (hops.length > 0) address = hops[Math.max(0, hops.length - trustedProxyHops)];
  }
  return address ? addressBlock(address) : null;
}

/** Who counts as one caller: a signed-in principal by uid, anyone else by address. */
export function rateLimitKey({
  principal,
  clientAddress,
}: {
  readonly principal: { readonly uid: string } | null;
  readonly clientAddress: string | null;
}): string {
  return principal ? `principal:${principal.uid}` : `address:${clientAddress ?? 'unknown'}`;
}

function addressBlock(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = bare.toLowerCase().startsWith('::ffff:') ? bare.slice(7) : bare;
  if (isIPv4(mapped)) return mapped;
  if (!isIPv6(bare)) return bare;
  const [head = '', tail] = bare.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
