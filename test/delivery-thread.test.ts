// The delivery thread: scheduled deliveries are sent from a worker thread
// (not the main thread), its bundle carries neither Prisma nor GraphQL, and
// a thread that dies is restarted and delivers again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { ROOT } from './helpers/process.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;
let webhookId: string;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
  await createEventType(gql, 'thread.test');
  ({ id: webhookId } = await createWebhook(gql, { name: 'thread receiver', targetUrl: receiver.url, events: ['thread.test'] }));
});
after(async () => {
  await app.stop();
  await receiver.close();
});

test('the delivery thread bundle loads neither the Prisma client nor GraphQL', () => {
  // Built by scripts/build.mjs (npm test builds first); its source map lists every bundled file.
  const map = JSON.parse(readFileSync(join(ROOT, 'dist/delivery-thread.mjs.map'), 'utf8')) as { sources: string[] };
  const code = readFileSync(join(ROOT, 'dist/delivery-thread.mjs'), 'utf8');
  assert.ok(
    map.sources.some((s) => s.endsWith('src/dispatch/worker.ts')),
    'the bundle holds the worker loop',
  );
  for (const s of map.sources) assert.doesNotMatch(s, /@prisma|generated\/prisma|node_modules\/graphql|src\/(server|schema|live)\//, s);
  assert.doesNotMatch(code, /from ["'](@prisma\/[^"']+|graphql[^"']*|graphql-yoga)["']/);
});

test('a delivery thread that dies is restarted and delivers again', async () => {
  const delivery = app.running.delivery!;
  assert.ok(delivery.worker, 'a delivery thread runs');
  const first = delivery.worker.threadId;
  await publish(gql, 'thread.test', { n: 1 });
  await receiver.waitFor(1);
  // Recorded before the thread dies, so nothing is left to retry after a lease.
  await waitUntil(
    async () => (await webhookView(gql, webhookId)).deliveries[0]?.status === 'SUCCEEDED',
    'the first delivery to be recorded',
  );

  await delivery.worker.terminate();
  const restarted = await waitUntil(
    () => (delivery.worker && delivery.worker.threadId !== first ? delivery.worker : null),
    'the thread to be restarted',
    20_000,
  );
  assert.equal(delivery.restarts, 1);
  assert.notEqual(restarted.threadId, first);

  await publish(gql, 'thread.test', { n: 2 });
  const got = await receiver.waitFor(2);
  assert.deepEqual(
    got.map((r) => r.json.data.n),
    [1, 2],
  );
});

test('a delivery the dead thread was sending is sent again by the restarted thread at once, not after its lease', async () => {
  const delivery = app.running.delivery!;
  // The receiver holds the request for n = 3 open, so the thread dies with it claimed and unanswered.
  const held: ServerResponse[] = [];
  receiver.respond((r, _i, res) => {
    if (r.json?.data?.n === 3 && !held.length) held.push(res);
    else res.writeHead(200).end('ok');
  });
  // The earlier deliveries' attempts are recorded first: one still unrecorded
  // when the thread dies is rightly sent again too, before n = 3 (at least once).
  await waitUntil(async () => {
    const { deliveries } = await webhookView(gql, webhookId);
    return deliveries.length === 2 && deliveries.every((d) => d.status === 'SUCCEEDED');
  }, 'the earlier deliveries to be recorded');
  const before = receiver.received.length;
  await publish(gql, 'thread.test', { n: 3 });
  await receiver.waitFor(before + 1);
  const first = delivery.worker!.threadId;
  const killedAt = Date.now();
  await delivery.worker!.terminate();
  await waitUntil(
    () => (delivery.worker && delivery.worker.threadId !== first ? delivery.worker : null),
    'the thread to be restarted',
    20_000,
  );

  // Its lease runs a minute (DELIVERY_LEASE); the new thread takes it back at start.
  const got = await receiver.waitFor(before + 2, 20_000);
  const resentAfter = Date.now() - killedAt;
  assert.equal(got[before + 1].json.data.n, 3);
  assert.ok(resentAfter < 20_000, `sent again ${resentAfter} ms after the thread died`);
  await waitUntil(async () => {
    const { deliveries } = await webhookView(gql, webhookId);
    return deliveries.length === 3 && deliveries.every((d) => d.status === 'SUCCEEDED');
  }, 'all three deliveries to succeed');
  for (const res of held) res.destroy();
});
