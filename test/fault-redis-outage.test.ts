// Fault: Redis goes away and comes back. Two instances (real processes) on
// one PostgreSQL database share live events through a Redis server this test
// starts itself; it kills that Redis (kill -9) while graphql-ws
// subscriptions are open on both instances, and later starts it again on
// the same port. The shared Redis server is never touched.
//
// While Redis is away: the API and deliveries keep working, subscribers on
// the instance that records the attempts keep receiving them (and new ones
// can subscribe), and nothing crashes. Once it is back, the cross-instance
// streams resume, including a topic first subscribed during the outage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { client } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { freshDatabase } from './helpers/postgres.js';
import { startRedis, type RedisProcess } from './helpers/redis.js';
import { waitUntil } from './helpers/wait.js';

const KEY = 'fault-redis-bootstrap-key-000000';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: Awaited<ReturnType<typeof freshDatabase>>;
let redis: RedisProcess;
// A serves the API only; B also runs the worker, so every attempt is recorded on B.
let a: ServerProcess;
let b: ServerProcess;
let receiver: Receiver;
const sockets: Client[] = [];

before(async () => {
  redis = await startRedis();
  db = await freshDatabase('hookline_fault_redis');
  const env = {
    DATABASE_URL: db.url,
    BOOTSTRAP_API_KEY: KEY,
    SECRET_ENCRYPTION_KEY: 'b'.repeat(64),
    ALLOW_PRIVATE_TARGETS: 'true',
    WORKER_POLL_MS: '20',
    REDIS_URL: redis.url,
  };
  [a, b] = await Promise.all([
    spawnServer({ ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-fault-redis-')), INSTANCE_ID: 'a', WORKER_ENABLED: 'false' }),
    spawnServer({ ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-fault-redis-')), INSTANCE_ID: 'b' }),
  ]);
  receiver = await startReceiver('/live');
});

after(async () => {
  if (process.env.DEBUG_FAULTS) console.log(a?.output().slice(-4000), b?.output().slice(-4000));
  for (const s of sockets) await s.dispose();
  await a?.kill('SIGTERM');
  await b?.kill('SIGTERM');
  await receiver?.close();
  await redis?.stop();
  await db?.drop();
});

interface Stream {
  /** What each `next` carried: the event id of an attempt, or the id of a webhook whose state changed. */
  seen: string[];
  /** error or complete: a stream that ended (must not happen here). */
  ended: string[];
}

function subscribe(server: ServerProcess, query: string, pick: (data: any) => string): Stream {
  const ws = createClient({
    url: server.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: KEY },
    retryAttempts: 0,
  });
  sockets.push(ws);
  const stream: Stream = { seen: [], ended: [] };
  ws.subscribe(
    { query },
    {
      next: (msg) => (msg.data ? stream.seen.push(pick(msg.data)) : stream.ended.push(`errors: ${JSON.stringify(msg.errors)}`)),
      error: (err) => stream.ended.push(`error: ${JSON.stringify(err)}`),
      complete: () => stream.ended.push('complete'),
    },
  );
  return stream;
}

const ATTEMPTS = 'subscription { deliveryAttempts { status requestBody } }';
const eventOf = (data: any) => JSON.parse(data.deliveryAttempts.requestBody).id as string;

test('Redis killed and restarted under live subscriptions: the API, deliveries and local streams carry on; remote streams resume', async (t) => {
  const viaA = client(a.url, KEY);
  const viaB = client(b.url, KEY);
  const publish = async (gql: typeof viaA, n: number) => {
    const res = await gql(
      `mutation { publishEvent(input: { type: "invoice.sent", payload: { n: ${n} } }) { event { id } deliveryCount } }`,
    );
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data.publishEvent.deliveryCount, 1);
    return res.data.publishEvent.event.id as string;
  };
  assert.deepEqual(
    (await viaA(`mutation { createEventType(input: { name: "invoice.sent", group: "Billing" }) { userErrors { message } } }`)).data
      .createEventType.userErrors,
    [],
  );
  const created = await viaA(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { message } } }`,
    { input: { name: 'live receiver', targetUrl: receiver.url, events: ['invoice.sent'] } },
  );
  assert.deepEqual(created.data.createWebhook.userErrors, []);
  const webhookId = created.data.createWebhook.webhook.id as string;

  // Redis up: a subscriber on A (remote from the worker) and one on B (local to it) are both live.
  const remote = subscribe(a, ATTEMPTS, eventOf);
  const local = subscribe(b, ATTEMPTS, eventOf);
  let n = 0;
  await waitUntil(async () => {
    await publish(viaA, n++);
    await sleep(200);
    return remote.seen.length > 0 && local.seen.length > 0;
  }, 'both streams live before the outage');

  // Redis dies.
  await redis.stop();
  const outageStarted = Date.now();
  const during: string[] = [];
  for (let i = 0; i < 10; i++) {
    during.push(await publish(i % 2 ? viaA : viaB, n++));
    await sleep(100);
  }
  // New subscriptions during the outage: one local to the worker, and on A a
  // topic nobody had subscribed to before (webhook state changes).
  const lateLocal = subscribe(b, ATTEMPTS, eventOf);
  const lateState = subscribe(
    a,
    `subscription { webhookStateChanged { id state } }`,
    (d) => `${d.webhookStateChanged.id}:${d.webhookStateChanged.state}`,
  );
  await sleep(500);
  const duringLate: string[] = [];
  // Long enough that ioredis gives up on the commands it queued (3 retries).
  while (Date.now() - outageStarted < 4000 || duringLate.length < 10) {
    duringLate.push(await publish(duringLate.length % 2 ? viaA : viaB, n++));
    await sleep(100);
  }
  during.push(...duringLate);

  // Deliveries kept going and the local streams kept receiving.
  await waitUntil(
    () => during.every((id) => receiver.received.some((r) => r.headers['webhook-id'] === id)),
    'deliveries during the outage',
  );
  await waitUntil(() => during.every((id) => local.seen.includes(id)), 'the local stream to get every attempt made during the outage');
  await waitUntil(() => duringLate.every((id) => lateLocal.seen.includes(id)), 'a stream opened during the outage to get its attempts');
  const list = await viaA(`{ webhooks { totalCount } }`);
  assert.equal(list.data.webhooks.totalCount, 1, 'reads work on A');
  const missedRemotely = during.filter((id) => !remote.seen.includes(id)).length;
  t.diagnostic(`the remote stream missed ${missedRemotely} of ${during.length} attempts made while Redis was away`);

  // Redis is back on the same port: the remote stream resumes on its own.
  await redis.start();
  const afterIds: string[] = [];
  await waitUntil(
    async () => {
      afterIds.push(await publish(viaA, n++));
      await sleep(300);
      return afterIds.some((id) => remote.seen.includes(id));
    },
    'the remote stream to resume after Redis came back',
    20_000,
  );
  const resumedIn = Date.now() - outageStarted;
  // From then on it misses nothing.
  const settled: string[] = [];
  for (let i = 0; i < 5; i++) settled.push(await publish(i % 2 ? viaA : viaB, n++));
  await waitUntil(() => settled.every((id) => remote.seen.includes(id) && local.seen.includes(id)), 'every later attempt on both streams');

  // The topic first subscribed on A during the outage is live too: a state change made on B reaches it.
  const off = await viaB(`mutation($id: ID!) { setWebhookActive(id: $id, active: false) { userErrors { message } } }`, { id: webhookId });
  assert.deepEqual(off.data.setWebhookActive.userErrors, []);
  await waitUntil(() => lateState.seen.includes(`${webhookId}:STOPPED`), 'the state change made on B to reach A over Redis');
  t.diagnostic(`remote stream resumed ${resumedIn} ms after Redis was killed`);

  // No stream ended, no process died.
  for (const s of [remote, local, lateLocal, lateState]) assert.deepEqual(s.ended, []);
  assert.equal(a.child.exitCode, null, a.output().slice(-3000));
  assert.equal(b.child.exitCode, null, b.output().slice(-3000));
});
