// The deliveryAttempts stream from a cursor across instances: two instances
// on one PostgreSQL database with Redis; the subscriber is on A (no worker)
// while B's worker writes 500 attempts. Every attempt after the cursor
// arrives once, in order, over graphql-ws and SSE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { freshDatabase, REDIS_URL } from './helpers/postgres.js';
import { createEventType, createWebhook } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';
import { allAttempts, assertCaughtUp, publishMany, sseCollect, STREAM, wsCollect, type Collected } from './helpers/logStream.js';

const KEY = 'log-cluster-test-bootstrap-key-00';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let a: ServerProcess;
let b: ServerProcess;
let receiver: Receiver;
const streams: Collected[] = [];

before(async () => {
  db = await freshDatabase();
  const env = {
    DATABASE_URL: db.url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-log-')),
    BOOTSTRAP_API_KEY: KEY,
    SECRET_ENCRYPTION_KEY: 'b'.repeat(64),
    ALLOW_PRIVATE_TARGETS: 'true',
    WORKER_POLL_MS: '20',
    REDIS_URL,
  };
  a = await spawnServer({ ...env, INSTANCE_ID: 'log-a', WORKER_ENABLED: 'false' });
  b = await spawnServer({ ...env, INSTANCE_ID: 'log-b' });
  receiver = await startReceiver();
});

after(async () => {
  for (const s of streams) await s.stop();
  await a?.kill('SIGTERM');
  await b?.kill('SIGTERM');
  await receiver?.close();
  await db?.drop();
});

test('a subscriber on A from a cursor gets each of the attempts B writes after it once, in order (graphql-ws and SSE)', async () => {
  const viaA = client(a.url, KEY);
  const viaB = client(b.url, KEY);
  await createEventType(viaB, 'cluster.log');
  await createWebhook(viaB, { name: 'Cluster log', targetUrl: receiver.url, events: ['cluster.log'] });
  const count = async () => (await viaA('{ deliveryAttempts { totalCount } }')).data.deliveryAttempts.totalCount as number;
  const writing = publishMany(viaB, 'cluster.log', 500);
  await waitUntil(async () => (await count()) >= 100, '100 attempts written by B');
  const cursor = (await viaA('{ deliveryAttempts(first: 1) { edges { cursor } } }')).data.deliveryAttempts.edges[0].cursor;
  const ws = wsCollect(a.url, KEY, STREAM, { after: cursor });
  const sse = sseCollect(a.url, KEY, STREAM, { after: cursor });
  streams.push(ws, sse);
  assert.ok((await count()) < 500, 'the streams started while attempts were still being written');
  await writing;
  await waitUntil(async () => (await count()) === 500, 'all 500 attempts written');
  const all = await allAttempts(viaA);
  const want = all.length - 1 - all.findIndex((x) => x.cursor === cursor);
  for (const [what, s] of [
    ['graphql-ws on A', ws],
    ['SSE on A', sse],
  ] as const) {
    await waitUntil(() => s.items.length >= want || s.errors.length, `${what}: every attempt after the cursor`, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    assertCaughtUp(what, s, all, cursor);
  }
});
