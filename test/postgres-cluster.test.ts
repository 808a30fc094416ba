// Scale-out on PostgreSQL: two instances start together on one empty
// database (migrations run once, under the advisory lock), both serve the
// API, both run workers, and together they send every delivery exactly once.
// With REDIS_URL, a subscriber on one instance sees attempts made by the
// other instance's worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import pg from 'pg';
import { client } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { ROOT, spawnServer, type ServerProcess } from './helpers/process.js';
import { freshDatabase, REDIS_URL } from './helpers/postgres.js';

const KEY = 'cluster-test-bootstrap-key-0000';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let a: ServerProcess;
let b: ServerProcess;
const receivers: Receiver[] = [];

before(async () => {
  db = await freshDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'hookline-pg-'));
  const env = {
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    BOOTSTRAP_API_KEY: KEY,
    // Both instances must share the key that encrypts webhook secrets.
    SECRET_ENCRYPTION_KEY: 'a'.repeat(64),
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05,0.05',
    WORKER_POLL_MS: '20',
    REDIS_URL,
  };
  // Started together: both race to migrate the empty database.
  [a, b] = await Promise.all([
    spawnServer({ ...env, INSTANCE_ID: 'instance-a', WORKER_ENABLED: 'false' }),
    spawnServer({ ...env, INSTANCE_ID: 'instance-b' }),
  ]);
  receivers.push(await startReceiver('/one'), await startReceiver('/two'));
});

after(async () => {
  if (process.env.DEBUG_CLUSTER) console.log(a?.output().slice(-3000), b?.output().slice(-3000));
  await a?.kill('SIGTERM');
  await b?.kill('SIGTERM');
  for (const r of receivers) await r.close();
  await db?.drop();
});

test('the migration ran once although both instances applied it at start-up', async () => {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const { rows } = await c.query('SELECT name FROM _hookline_migrations');
  await c.end();
  // One ledger row per migration in prisma/postgres/migrations, none twice.
  const migrations = readdirSync(join(ROOT, 'prisma/postgres/migrations'), { withFileTypes: true }).filter((d) => d.isDirectory());
  assert.ok(migrations.length >= 1);
  assert.equal(rows.length, migrations.length);
  assert.equal(new Set(rows.map((r) => r.name)).size, rows.length);
});

test('either instance serves the API on the shared database', async () => {
  const viaA = client(a.url, KEY);
  const viaB = client(b.url, KEY);
  const created = await viaA(`mutation { createEventType(input: { name: "invoice.sent", group: "Billing" }) { userErrors { message } } }`);
  assert.deepEqual(created.data.createEventType.userErrors, []);
  const types = await viaB(`{ eventTypes(group: "Billing") { name } }`);
  assert.deepEqual(types.data.eventTypes, [{ name: 'invoice.sent' }]);
  for (const [i, r] of receivers.entries()) {
    const res = await (i ? viaB : viaA)(
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { userErrors { message } } }`,
      { input: { name: `Receiver ${i}`, targetUrl: r.url, events: ['invoice.sent'] } },
    );
    assert.deepEqual(res.data.createWebhook.userErrors, []);
  }
  // Case-insensitive uniqueness and search behave as on SQLite.
  const dup = await viaB(
    `mutation { createWebhook(input: { name: "RECEIVER 0", targetUrl: "${receivers[0].url}", events: ["*"] }) { userErrors { code } } }`,
  );
  assert.deepEqual(dup.data.createWebhook.userErrors, [{ code: 'CONFLICT' }]);
  const found = await viaA(
    `{ webhooks(filter: { search: "receiver 1" }, orderBy: { field: OWNER, direction: ASC }) { totalCount nodes { name } } }`,
  );
  assert.equal(found.data.webhooks.totalCount, 1);
});

test('a subscriber on instance A sees attempts made by the worker on instance B (Redis fan-out)', async () => {
  const ws = createClient({
    url: a.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: KEY },
    retryAttempts: 0,
  });
  const seen: any[] = [];
  let resolveFirst!: () => void;
  const first = new Promise<void>((r) => (resolveFirst = r));
  const unsubscribe = ws.subscribe(
    { query: 'subscription { deliveryAttempts { status webhookId requestUrl } }' },
    {
      next: (msg) => {
        seen.push(msg.data?.deliveryAttempts);
        resolveFirst();
      },
      error: (err) => assert.fail(`subscription error: ${JSON.stringify(err)}`),
      complete: () => undefined,
    },
  );
  // graphql-ws acknowledges before the subscription is registered on Redis; give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  const res = await client(a.url, KEY)(`mutation { publishEvent(input: { type: "invoice.sent", payload: { n: 0 } }) { deliveryCount } }`);
  assert.equal(res.data.publishEvent.deliveryCount, 2);
  await Promise.race([first, new Promise((_, rej) => setTimeout(() => rej(new Error('no attempt arrived over Redis')), 20_000))]);
  unsubscribe();
  await ws.dispose();
  assert.equal(seen[0].status, 'SUCCEEDED');
  assert.ok(receivers.some((r) => r.url === seen[0].requestUrl));
});

test('revoking a key on instance B ends its live stream on instance A (Redis)', async () => {
  const created = await client(
    b.url,
    KEY,
  )(`mutation { createApiKey(input: { name: "watcher" }) { key apiKey { id } userErrors { message } } }`);
  const { key, apiKey } = created.data.createApiKey;
  const ws = createClient({
    url: a.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: key },
    retryAttempts: 0,
  });
  const got: any[] = [];
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  ws.subscribe(
    { query: 'subscription { deliveryAttempts { status } }' },
    { next: (m) => got.push(m), error: (e) => (got.push({ error: e }), ended()), complete: () => ended() },
  );
  // Live once an attempt arrives.
  const deadline = Date.now() + 20_000;
  while (!got.length && Date.now() < deadline) {
    await client(a.url, KEY)(`mutation { publishEvent(input: { type: "invoice.sent", payload: { probe: true } }) { deliveryCount } }`);
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.ok(got.length, 'the stream was live');
  const revoked = await client(b.url, KEY)(`mutation($id: ID!) { revokeApiKey(id: $id) { userErrors { message } } }`, { id: apiKey.id });
  assert.deepEqual(revoked.data.revokeApiKey.userErrors, []);
  await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('stream did not end after revocation')), 20_000))]);
  const last = got.at(-1);
  const errors = last.errors ?? last.error;
  assert.match(JSON.stringify(errors), /invalid or has been revoked/);
  await ws.dispose();
});

test('two workers on one database send 400 events to 2 webhooks exactly once', async () => {
  // Instance A's worker joins for this test: restart it with the worker on.
  await a.kill('SIGTERM');
  a = await spawnServer({
    DATABASE_URL: db.url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-pg-')),
    BOOTSTRAP_API_KEY: KEY,
    SECRET_ENCRYPTION_KEY: 'a'.repeat(64),
    ALLOW_PRIVATE_TARGETS: 'true',
    WORKER_POLL_MS: '20',
    INSTANCE_ID: 'instance-a2',
    REDIS_URL,
  });
  const start = receivers.map((r) => r.received.length);
  const gqls = [client(a.url, KEY), client(b.url, KEY)];
  for (let i = 0; i < 400; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        gqls[(i + k) % 2](`mutation { publishEvent(input: { type: "invoice.sent", payload: { n: ${i + k} } }) { deliveryCount } }`),
      ),
    );
  }
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const deadline = Date.now() + 60_000;
  let open = 1;
  while (open > 0 && Date.now() < deadline) {
    open = Number((await c.query(`SELECT count(*) FROM "Delivery" WHERE status <> 'SUCCEEDED'`)).rows[0].count);
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.end();
  assert.equal(open, 0, 'every delivery succeeded');
  for (const [i, r] of receivers.entries()) {
    const got = r.received.slice(start[i]);
    const ids = new Set(got.map((x) => x.headers['webhook-id']));
    assert.equal(ids.size, 400, `receiver ${i} distinct events`);
    assert.equal(got.length, 400, `receiver ${i} got ${got.length - 400} duplicates`);
  }
});
