// GraphiQL, served whole by Hookline: the page at /graphql (through Yoga's
// renderGraphiQL hook) and its script, stylesheet and editor workers under
// /graphiql/, taken from @graphql-yoga/render-graphiql. Nothing comes from a
// CDN, so the playground works offline and under a strict CSP: the page has
// no inline script (its options travel as a JSON data block, which browsers
// never execute) and loads only files of its own origin.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { assetSecurityHeaders, htmlSecurityHeaders } from './csp.js';

export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

/** What the browser sees: GraphiQL's options, with nothing invalid pre-filled. */
export function graphiqlOptions(): GraphiQLOptions {
  return {
    title: 'Hookline',
    // An empty key counts as no key (introspection still works); GraphiQL
    // shows where the key goes. Headers stay out of localStorage.
    headers: JSON.stringify({ 'x-api-key': '' }, null, 2),
    shouldPersistHeaders: false,
    // GraphiQL sends the Headers pane in each subscribe message's
    // extensions.headers, which the server reads (src/server/context.ts).
    subscriptionsProtocol: 'WS',
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page; options are JSON in a data block, with `<` escaped so no text can end the block. */
export function renderGraphiQLPage(opts: GraphiQLOptions): string {
  const data = JSON.stringify(opts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(opts.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${GRAPHIQL_ASSETS_PATH}favicon.ico" />
    <link rel="stylesheet" href="${GRAPHIQL_ASSETS_PATH}graphiql.css" />
    <script type="application/json" id="graphiql-options">${data}</script>
    <script defer src="${GRAPHIQL_ASSETS_PATH}init.js"></script>
    <script defer src="${GRAPHIQL_ASSETS_PATH}graphiql.js"></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
}

// Runs before GraphiQL's bundle (both deferred, so in order): tells the
// editor where its workers are, then renders once the bundle has loaded.
const INIT_JS = `'use strict';
(function () {
  var base = ${JSON.stringify(GRAPHIQL_ASSETS_PATH)};
  var workers = { editorWorkerService: 'editor.worker.js', json: 'json.worker.js', graphql: 'graphql.worker.js' };
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) {
      return base + (workers[label] || workers.editorWorkerService);
    },
  };
  document.addEventListener('DOMContentLoaded', function () {
    var options = JSON.parse(document.getElementById('graphiql-options').textContent);
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
  });
})();
`;

interface Asset {
  type: string;
  body: Buffer;
  gzipped?: Buffer;
  etag: string;
}

type Sources = typeof import('@graphql-yoga/render-graphiql/graphiql');

// The bundle is 9 MB of strings: loaded on the first request for it, not
// at start-up, and each file compressed once, when first asked for.
let assets: Promise<Map<string, Asset>> | null = null;

function loadAssets(): Promise<Map<string, Asset>> {
  return (assets ??= import('@graphql-yoga/render-graphiql/graphiql').then((src: Sources) => {
    const js = 'text/javascript; charset=utf-8';
    const entries: [string, string, string | Buffer][] = [
      ['init.js', js, INIT_JS],
      ['graphiql.js', js, src.js],
      ['graphiql.css', 'text/css; charset=utf-8', src.css],
      ['editor.worker.js', js, src.editorWorkerService],
      ['json.worker.js', js, src.jsonWorker],
      ['graphql.worker.js', js, src.graphqlWorker],
      ['favicon.ico', 'image/x-icon', Buffer.from(src.favicon.replace(/^data:[^,]*;base64,/, ''), 'base64')],
    ];
    return new Map(
      entries.map(([name, type, content]) => {
        const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
        return [name, { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }];
      }),
    );
  }));
}

/** Serves /graphiql/<file>; returns false for any other path. */
export function serveGraphiQLAsset(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (!path.startsWith(GRAPHIQL_ASSETS_PATH)) return false;
  const name = path.slice(GRAPHIQL_ASSETS_PATH.length);
  void loadAssets().then(
    (all) => {
      const asset = all.get(name);
      if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...assetSecurityHeaders }).end('Not found');
        return;
      }
      const headers: Record<string, string> = {
        'content-type': asset.type,
        'cache-control': 'no-cache',
        etag: asset.etag,
        vary: 'accept-encoding',
        ...assetSecurityHeaders,
      };
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, headers).end();
        return;
      }
      let body = asset.body;
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && body.length > 1024) {
        body = asset.gzipped ??= gzipSync(asset.body);
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = String(body.length);
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    () => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('GraphiQL assets are unavailable');
    },
  );
  return true;
}

/** Gives Yoga's HTML answers (the GraphiQL page) the strict policy. */
export function useHtmlSecurityHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      // Monaco writes <style> elements at run time; scripts stay 'self' only.
      for (const [name, value] of Object.entries(htmlSecurityHeaders({ inlineStyles: true }))) response.headers.set(name, value);
    },
  };
}
