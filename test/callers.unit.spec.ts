/** How callers are told apart for the per-caller limits: their address, as proxies report it, by block. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, rateLimitKey } from '../src/graphql/callers.ts';

/** A request from `peer` (the socket's address) with an X-Forwarded-For header, as yoga hands it over. */
const from = (peer: string, forwardedFor?: string) => ({
  request: new Request('http://api/graphql', { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }),
  req: { socket: { remoteAddress: peer }, headers: {} } as unknown as IncomingMessage,
});

describe('clientAddress', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress(from('203.0.113.7', '198.51.100.1'), 0)).toBe('203.0.113.7');
  });

  it('is the entry the trusted proxies put there, not one the client wrote left of it', () => {
    // Cloud Run: one front end, which appends the address it saw.
    expect(clientAddress(from('169.254.1.1', '6.6.6.6, 203.0.113.7'), 1)).toBe('203.0.113.7');
    // A load balancer in front of it: two.
    expect(clientAddress(from('169.254.1.1', '6.6.6.6, 203.0.113.7, 130.211.0.1'), 2)).toBe('203.0.113.7');
    // Fewer entries than proxies (a misconfiguration): the leftmost, the furthest the chain reports.
    expect(clientAddress(from('169.254.1.1', '203.0.113.7'), 2)).toBe('203.0.113.7');
    // No header at all: the peer.
    expect(clientAddress(from('203.0.113.7'), 1)).toBe('203.0.113.7');
  });

  it('reads the header off node’s IncomingMessage too (a WebSocket handshake)', () => {
    const req = { socket: { remoteAddress: '169.254.1.1' }, headers: { 'x-forwarded-for': '203.0.113.7' } } as unknown as IncomingMessage;
    expect(clientAddress({ req }, 1)).toBe('203.0.113.7');
  });

  it('counts IPv6 callers by their /64, and IPv4-mapped ones as IPv4', () => {
    expect(clientAddress(from('2001:db8:85a3:7:1:2:3:4'), 0)).toBe('2001:db8:85a3:7::/64');
    expect(clientAddress(from('2001:db8:85a3:7::9'), 0)).toBe('2001:db8:85a3:7::/64');
    expect(clientAddress(from('2001:0db8::1'), 0)).toBe('2001:db8:0:0::/64');
    expect(clientAddress(from('::ffff:203.0.113.7'), 0)).toBe('203.0.113.7');
  });

  it('is null for a request without a socket (in-process)', () => {
    expect(clientAddress({ request: new Request('http://api/graphql') }, 0)).toBeNull();
  });
});

describe('rateLimitKey', () => {
  it('names a signed-in caller by uid, wherever they call from', () => {
    expect(rateLimitKey({ principal: { uid: 'u-1' }, clientAddress: '203.0.113.7' })).toBe('principal:u-1');
    expect(rateLimitKey({ principal: { uid: 'u-1' }, clientAddress: '198.51.100.1' })).toBe('principal:u-1');
  });

  it('names an anonymous caller by address', () => {
    expect(rateLimitKey({ principal: null, clientAddress: '203.0.113.7' })).toBe('address:203.0.113.7');
    expect(rateLimitKey({ principal: null, clientAddress: null })).toBe('address:unknown');
  });
});
