// Delivery policy with two instances on one PostgreSQL database, both
// delivering: a rate limit holds across them (measured at the receiver),
// ordered delivery stays one at a time and in event order through retries,
// an open circuit sends one probe per cool-down, not one per instance; and
// in each case both instances take part (each request's delivery is
// leased by one of them, read from the database while the receiver holds
// the request).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { freshDatabase, REDIS_URL } from './helpers/postgres.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { densestWindow } from './helpers/windows.js';
import { assertInOrder, orderedScript } from './helpers/ordered.js';
import { waitUntil } from './helpers/wait.js';

const KEY = 'policy-cluster-test-bootstrap-key-0';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let a: ServerProcess;
let b: ServerProcess;
let viaA: Gql;
let viaB: Gql;
let peek: pg.Client;
const receivers: Receiver[] = [];

before(async () => {
  db = await freshDatabase();
  const env = {
    DATABASE_URL: db.url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-policy-')),
    BOOTSTRAP_API_KEY: KEY,
    SECRET_ENCRYPTION_KEY: 'c'.repeat(64),
    ALLOW_PRIVATE_TARGETS: 'true',
    // Short, so both instances take part in the ordered test: an instance
    // claims an ordered webhook's next delivery as soon as its own attempt
    // commits, while the other looks only when it polls; at 50 ms the other
    // missed all 30 events in about one run in four.
    WORKER_POLL_MS: '10',
    RETRY_SCHEDULE: '0.05,0.05,0.05,0.05,0.05',
    AUTO_DISABLE_AFTER: '3',
    CIRCUIT_COOLDOWN: '500ms',
    CIRCUIT_MAX_COOLDOWN: '1s',
    REDIS_URL,
  };
  [a, b] = await Promise.all([spawnServer({ ...env, INSTANCE_ID: 'policy-a' }), spawnServer({ ...env, INSTANCE_ID: 'policy-b' })]);
  viaA = client(a.url, KEY);
  viaB = client(b.url, KEY);
  peek = new pg.Client({ connectionString: db.url });
  await peek.connect();
});

after(async () => {
  await peek?.end();
  await a?.kill('SIGTERM');
  await b?.kill('SIGTERM');
  for (const r of receivers) await r.close();
  await db?.drop();
});

/** Sends every past event of `type` to the webhook, as new deliveries (a bulk replay). */
async function replay(gql: Gql, type: string, webhookId: string) {
  const res = await gql(
    `mutation($f: ReplayEventsFilter!, $w: ID!) { replayEvents(filter: $f, webhookId: $w) { bulkOperation { id } userErrors { message } } }`,
    { f: { types: [type] }, w: webhookId },
  );
  assert.deepEqual(res.data.replayEvents.userErrors, []);
}

/** A receiver that, before answering, notes which instance holds the lease of the delivery it is getting. */
async function leaseWatchingReceiver(holdMs: number, status: (index: number) => number = () => 200) {
  const r = await startReceiver();
  receivers.push(r);
  const owners = new Set<string>();
  r.respond(async (req, i, res) => {
    const { rows } = await peek.query(`SELECT d."leaseOwner" FROM "Delivery" d WHERE d."eventId" = $1 AND d."leaseOwner" IS NOT NULL`, [
      req.headers['webhook-id'],
    ]);
    for (const row of rows) owners.add(row.leaseOwner);
    setTimeout(() => res.writeHead(status(i)).end(), holdMs);
  });
  return { r, owners };
}

test('rateLimit 10 across two instances: never more than 10 requests in any 1-second window, and both deliver', async () => {
  await createEventType(viaA, 'cluster.rate');
  const { r, owners } = await leaseWatchingReceiver(20);
  // The backlog appears at once (a replay of 50 earlier events), so the
  // measurement is not disturbed by this process publishing meanwhile: the
  // receiver's clock is this process's.
  for (let i = 0; i < 50; i++) await publish(i % 2 ? viaA : viaB, 'cluster.rate', { i });
  const { id } = await createWebhook(viaA, { name: 'limited', targetUrl: r.url, events: ['cluster.rate'], rateLimit: 10 });
  const started = Date.now();
  await replay(viaB, 'cluster.rate', id);
  await r.waitFor(50, 30_000);
  const times = r.received.map((x) => x.at);
  const densest = densestWindow(times, 1000);
  assert.ok(densest <= 10, `${densest} requests within one second`);
  assert.ok(densest >= 8, `at most ${densest} in a second`);
  const took = Math.max(...times) - started;
  assert.ok(took >= 4_400, `50 requests in ${took} ms`);
  assert.deepEqual([...owners].sort(), ['policy-a', 'policy-b'], 'both instances claimed deliveries');
  assert.equal(new Set(r.received.map((x) => x.headers['webhook-id'])).size, 50);
});

test('ordered across two instances: one at a time, in event order, through retries, and both deliver', async () => {
  await createEventType(viaA, 'cluster.ordered');
  const r = await startReceiver();
  receivers.push(r);
  // Every third event fails its first try; events publish through both instances in turn.
  const script = orderedScript(r, { failFirst: (n) => (n % 3 === 1 ? 1 : 0), holdMs: 20 });
  const { id } = await createWebhook(viaB, { name: 'ordered', targetUrl: r.url, events: ['cluster.ordered'], ordered: true });
  const owners = new Set<string>();
  const watch = setInterval(() => {
    void peek.query(`SELECT DISTINCT "leaseOwner" FROM "Delivery" WHERE "leaseOwner" IS NOT NULL AND "webhookId" = $1`, [id]).then(
      ({ rows }) => rows.forEach((row) => owners.add(row.leaseOwner)),
      () => undefined,
    );
  }, 10);
  const N = 30;
  try {
    for (let n = 0; n < N; n++) await publish(n % 2 ? viaA : viaB, 'cluster.ordered', { n });
    await waitUntil(() => script.requests.filter((q) => q.ok).length === N, 'every event delivered', 60_000);
  } finally {
    clearInterval(watch);
  }
  assertInOrder(script, N);
  assert.deepEqual([...owners].sort(), ['policy-a', 'policy-b'], 'both instances claimed deliveries');
});

test('an open circuit across two instances: one probe per cool-down, then the backlog once a probe succeeds', async () => {
  await createEventType(viaA, 'cluster.circuit');
  const r = await startReceiver();
  receivers.push(r);
  let status = 503;
  r.respond((_req, _i, res) => {
    res.writeHead(status).end();
  });
  const { id } = await createWebhook(viaA, { name: 'breaker', targetUrl: r.url, events: ['cluster.circuit'] });
  const circuit = async () =>
    (await viaB(`query($id: ID!) { webhook(id: $id) { circuit { state openedAt } } }`, { id })).data.webhook.circuit;
  const events: string[] = [];
  for (let n = 0; n < 6; n++) events.push((await publish(n % 2 ? viaA : viaB, 'cluster.circuit', { n })).eventId);
  await waitUntil(async () => (await circuit()).state !== 'CLOSED', 'the circuit to open');
  const opened = Date.parse((await circuit()).openedAt);
  // Probes at about +0.5 s, +1.5 s and +2.5 s (the cool-down doubles to its 1 s cap).
  await waitUntil(() => r.received.filter((x) => x.at > opened + 100).length >= 3, 'three probes', 10_000);
  const probes = r.received.filter((x) => x.at > opened + 100).map((x) => x.at);
  for (let i = 1; i < probes.length; i++) {
    assert.ok(
      probes[i] - probes[i - 1] >= 450,
      `probes ${probes[i] - probes[i - 1]} ms apart: ${probes.map((t) => t - opened).join(', ')}`,
    );
  }
  status = 200;
  await waitUntil(async () => (await circuit()).state === 'CLOSED', 'the circuit to close', 10_000);
  const v = await waitUntil(async () => {
    const res = await viaA(`query($id: ID!) { webhook(id: $id) { deliveries(first: 10) { nodes { status } } } }`, { id });
    const nodes = res.data.webhook.deliveries.nodes;
    return nodes.every((d: { status: string }) => d.status === 'SUCCEEDED') ? nodes : null;
  }, 'the backlog to be delivered');
  assert.equal(v.length, events.length);
});
