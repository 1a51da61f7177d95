/** The abuse limits as the environment sets them (config.ts): defaults, overrides, and what is refused. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { DEFAULT_API_LIMITS } from '../src/apiLimits.ts';

describe('limits from the environment', () => {
  it('default to DEFAULT_API_LIMITS, with introspection outside production only', () => {
    const development = loadConfig({});
    expect(development.limits).toEqual(DEFAULT_API_LIMITS);
    expect(development.introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).introspection).toBe(false);
  });

  it('take overrides, origins as a comma-separated list', () => {
    const { limits } = loadConfig({
      ALLOWED_ORIGINS: 'https://shop.example.com, http://localhost:5173',
      MAX_REQUEST_BODY_BYTES: '65536',
      QUERY_MAX_DEPTH: '8',
      QUERY_MAX_COST: '5000',
      WS_MAX_CONNECTIONS_PER_CALLER: '5',
      RATE_LIMIT_MAX_CALLS: '120',
      RATE_LIMIT_WINDOW_SECONDS: '30',
      TRUSTED_PROXY_HOPS: '2',
    });
    expect(limits.allowedOrigins).toEqual(['https://shop.example.com', 'http://localhost:5173']);
    expect(limits.maxRequestBodyBytes).toBe(65_536);
    expect(limits.query).toMatchObject({ maxDepth: 8, maxCost: 5_000 });
    expect(limits.webSocket.maxConnectionsPerCaller).toBe(5);
    expect(limits.rateLimit).toEqual({ max: 120, windowMs: 30_000 });
    expect(limits.trustedProxyHops).toBe(2);
  });

  it('trust Cloud Run’s front end (K_SERVICE is set there) unless told otherwise', () => {
    expect(loadConfig({ K_SERVICE: 'eventloom-api' }).limits.trustedProxyHops).toBe(1);
    expect(loadConfig({ K_SERVICE: 'eventloom-api', TRUSTED_PROXY_HOPS: '0' }).limits.trustedProxyHops).toBe(0);
  });

  it('refuse an origin with a path or a trailing slash, and limits that are not positive', () => {
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'https://shop.example.com/' })).toThrow(/ALLOWED_ORIGINS/);
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'shop.example.com' })).toThrow(/ALLOWED_ORIGINS/);
    expect(() => loadConfig({ QUERY_MAX_DEPTH: '0' })).toThrow(/QUERY_MAX_DEPTH/);
    expect(() => loadConfig({ RATE_LIMIT_MAX_CALLS: 'lots' })).toThrow(/RATE_LIMIT_MAX_CALLS/);
  });
});
