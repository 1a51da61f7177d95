/**
 * Serves the live dashboard (the Vite build in `dashboard/dist`) at /dashboard from the API itself, so it
 * needs no other host and its GraphQL endpoint is same-origin. Built assets have content hashes in their
 * names and are cached for good; the page itself is revalidated.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Plugin } from 'graphql-yoga';

export const DASHBOARD_PATH = '/dashboard';

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

export function useDashboard(root: string): Plugin {
  const base = normalize(root + sep);
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== DASHBOARD_PATH && !url.pathname.startsWith(`${DASHBOARD_PATH}/`)) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
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
            headers: {
              'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
              'cache-control': isPage ? 'no-cache' : 'public, max-age=31536000, immutable',
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
