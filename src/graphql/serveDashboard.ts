/**
 * Serves the live dashboard (the Vite build in `dashboard/dist`) at /dashboard from the API itself, so it
 * needs no other host and its GraphQL endpoint is same-origin. Built assets have content hashes in their
 * names and are cached for good; the page itself is revalidated.
 *
 * The page signs its users in with Firebase Authentication and learns how from GET /dashboard/config.json
 * (the web app's public Firebase config, and the Auth emulator's URL in development), built from the options
 * given here. The page gets a Content-Security-Policy that lets it talk to this origin and to Firebase
 * Authentication only, and never be framed: it holds staff ID tokens.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Plugin } from 'graphql-yoga';

const DASHBOARD_PATH = '/dashboard';
const DASHBOARD_CONFIG_PATH = `${DASHBOARD_PATH}/config.json`;

/**
 * How the dashboard signs users in: the Firebase web app config of the project whose ID tokens the API
 * accepts. None of it is secret (a web API key names a project, it grants nothing).
 */
export interface DashboardAuthConfig {
  readonly apiKey: string;
  readonly authDomain: string;
  readonly projectId: string;
  /** The Auth emulator's URL as the browser reaches it (`http://127.0.0.1:9099`), in development only. */
  readonly emulatorUrl?: string;
}

/** The body of /dashboard/config.json (dashboard/src/firebaseAuth.ts reads it); `auth: null` when sign-in is not configured. */
export interface DashboardConfigBody {
  readonly auth: DashboardAuthConfig | null;
}

/** Firebase Authentication's endpoints, which the Firebase JS SDK calls from the page. */
const FIREBASE_AUTH_ORIGINS = ['https://identitytoolkit.googleapis.com', 'https://securetoken.googleapis.com'];

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

export function useDashboard(root: string, auth: DashboardAuthConfig | null = null): Plugin {
  const base = normalize(root + sep);
  const configBody = JSON.stringify({ auth } satisfies DashboardConfigBody);
  const pageHeaders = {
    'content-type': CONTENT_TYPES['.html']!,
    'cache-control': 'no-cache',
    'content-security-policy': contentSecurityPolicy(auth),
    // No referrer-policy beyond the browser's default (the origin goes to other sites): an API key restricted
    // to the dashboard's site checks it on every call to Firebase Authentication.
  };
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== DASHBOARD_PATH && !url.pathname.startsWith(`${DASHBOARD_PATH}/`)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      if (url.pathname === DASHBOARD_CONFIG_PATH) {
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : configBody, {
            headers: { 'content-type': CONTENT_TYPES['.json']!, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
          }),
        );
        return;
      }
      let relative: string;
      try {
        relative = decodeURIComponent(url.pathname.slice(DASHBOARD_PATH.length)).replace(/^\/+/, '') || 'index.html';
      } catch {
        relative = '';
      }
      const file = normalize(join(base, relative));
      if (!relative || !file.startsWith(base)) {
        endResponse(new fetchAPI.Response('Not found', { status: 404 }));
        return;
      }
      try {
        const body = await readFile(file);
        const isPage = extname(file) === '.html';
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
            headers: isPage
              ? pageHeaders
              : {
                  'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
                  'cache-control': 'public, max-age=31536000, immutable',
                  'x-content-type-options': 'nosniff',
                },
          }),
        );
      } catch {
        const missing = relative === 'index.html';
        endResponse(
          new fetchAPI.Response(missing ? 'The dashboard is not built: run `npm run build:dashboard`.' : 'Not found', {
            status: missing ? 503 : 404,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
      }
    },
  };
}

/**
 * Scripts and styles from this origin only (the build has no inline ones), connections to this origin (GraphQL
 * over HTTP and WebSocket: CSP3 'self' covers ws/wss to the same host) and to Firebase Authentication or its
 * emulator, and no framing, so the sign-in form cannot be overlaid by another site.
 */
function contentSecurityPolicy(auth: DashboardAuthConfig | null): string {
  const authOrigins = auth?.emulatorUrl ? [new URL(auth.emulatorUrl).origin] : auth ? FIREBASE_AUTH_ORIGINS : [];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${authOrigins.join(' ')}`.trimEnd(),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
