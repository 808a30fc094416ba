// Serves the console (web/, built into web/dist by scripts/build-web.mjs at
// install and start) from this process: no second server, no CDN.
// - /assets/<name>-<hash>.<ext>: content-hashed, so cached for a year as immutable;
// - the console's pages (/, /webhooks…, /log, /keys, /people, /event-types):
//   index.html, never cached (it names the current hashed files), under a
//   strict Content-Security-Policy (src/server/csp.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetSecurityHeaders, htmlSecurityHeaders } from './csp.js';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** The console's client-side routes: each serves index.html. */
export function isConsolePage(path: string): boolean {
  return path === '/' || /^\/(webhooks(\/[^/]+)?|log|keys|people|event-types)\/?$/.test(path);
}

// web/dist is two levels up from src/server (tsx) and one from dist/ (the bundle).
function findDist(): string | null {
  for (const rel of ['../../web/dist', '../web/dist']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

export interface ConsoleFiles {
  /** Answers a console page or asset; returns false for any other path. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

/** Loads web/dist once (a few files, ~100 KB) and serves them from memory. */
export function loadConsole(): ConsoleFiles {
  const dist = findDist();
  const assets = new Map<string, Buffer>();
  let index: Buffer | null = null;
  if (dist) {
    index = readFileSync(join(dist, 'index.html'));
    for (const name of readdirSync(join(dist, 'assets'))) assets.set(name, readFileSync(join(dist, 'assets', name)));
  }
  return {
    serve(req, res, path) {
      const isAsset = path.startsWith('/assets/');
      if (!isAsset && !isConsolePage(path)) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('Method not allowed\n');
        return true;
      }
      if (isAsset) {
        const body = assets.get(path.slice('/assets/'.length));
        if (!body) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...assetSecurityHeaders });
          res.end('Not found\n');
          return true;
        }
        res.writeHead(200, {
          'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
          'content-length': body.length,
          'cache-control': 'public, max-age=31536000, immutable',
          ...assetSecurityHeaders,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return true;
      }
      if (!index) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The console is not built: run `npm run build` (it runs on npm install and npm start).\n');
        return true;
      }
      res.writeHead(200, {
        'content-type': TYPES['.html'],
        'content-length': index.length,
        'cache-control': 'no-cache',
        ...htmlSecurityHeaders(),
      });
      res.end(req.method === 'HEAD' ? undefined : index);
      return true;
    },
  };
}
