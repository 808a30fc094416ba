// The delivery HTTP client (src/dispatch/http.ts) against real receivers on
// loopback: status and headers as received, redirects refused, the response
// body capped, and one overall deadline (no answer, or a body that
// trickles past it), and connection failures classified.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryClient, MAX_RESPONSE_BYTES } from '../../src/dispatch/http.js';

let server: Server;
let base: string;
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
const client = new DeliveryClient({ allowPrivateTargets: true, timeoutMs: 2_000 });

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      (req as IncomingMessage & { body: string }).body = body;
      routes.get(req.url ?? '')!(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('a 2xx answer: status, lower-cased headers (repeated ones joined), body, and the request as sent', async () => {
  let seen: { method?: string; headers?: IncomingMessage['headers']; body?: string } = {};
  routes.set('/ok?x=1', (req, res) => {
    seen = { method: req.method, headers: req.headers, body: (req as IncomingMessage & { body: string }).body };
    res.setHeader('X-Thing', ['a', 'b']);
    res.setHeader('Constructor', 'c');
    res.writeHead(202, { 'Content-Type': 'text/plain' }).end('accepted');
  });
  const r = await client.post(`${base}/ok?x=1`, { 'content-type': 'application/json', 'webhook-id': 'evt_1' }, '{"a":1}');
  assert.equal(r.status, 202);
  assert.equal(r.error, null);
  assert.equal(r.body, 'accepted');
  assert.equal(r.headers['content-type'], 'text/plain');
  assert.equal(r.headers['x-thing'], 'a, b');
  assert.ok(
    Object.hasOwn(r.headers, 'constructor') && r.headers['constructor' as string] === 'c',
    'a header named like an Object property is kept as sent',
  );
  assert.equal(seen.method, 'POST');
  assert.equal(seen.headers?.['webhook-id'], 'evt_1');
  assert.equal(seen.body, '{"a":1}');
});

test('a redirect is not followed, and says where it pointed', async () => {
  let followed = false;
  routes.set('/moved', (_req, res) => res.writeHead(302, { location: `${base}/elsewhere` }).end());
  routes.set('/elsewhere', (_req, res) => {
    followed = true;
    res.writeHead(200).end();
  });
  const r = await client.post(`${base}/moved`, {}, '{}');
  assert.equal(r.status, 302);
  assert.equal(r.error?.code, 'REDIRECT');
  assert.match(r.error!.message, /\/elsewhere/);
  assert.equal(followed, false);
});

test('a large response body is kept up to the cap, and Retry-After is read', async () => {
  routes.set('/big', (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end('x'.repeat(MAX_RESPONSE_BYTES * 3)));
  const r = await client.post(`${base}/big`, {}, '{}');
  assert.equal(r.status, 503);
  assert.equal(r.body?.length, MAX_RESPONSE_BYTES);
  assert.equal(r.retryAfterMs, 7_000);
});

test('no answer within the timeout is a TIMEOUT, at the deadline', async () => {
  routes.set('/silent', () => undefined);
  const started = Date.now();
  const r = await client.post(`${base}/silent`, {}, '{}', 300);
  const took = Date.now() - started;
  assert.equal(r.status, null);
  assert.equal(r.error?.code, 'TIMEOUT');
  assert.ok(took >= 290 && took < 1_500, `timed out after ${took} ms`);
});

test('a body that trickles past the deadline is a TIMEOUT too: the deadline covers the whole response', async () => {
  routes.set('/trickle', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('.')), 100);
    res.on('close', () => clearInterval(t));
  });
  const started = Date.now();
  const r = await client.post(`${base}/trickle`, {}, '{}', 500);
  const took = Date.now() - started;
  assert.equal(r.error?.code, 'TIMEOUT');
  assert.ok(took >= 490 && took < 1_500, `timed out after ${took} ms`);
});

test('a refused connection is CONNECTION_REFUSED', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const r = await client.post(`http://127.0.0.1:${port}/`, {}, '{}');
  assert.equal(r.status, null);
  assert.equal(r.error?.code, 'CONNECTION_REFUSED');
});
