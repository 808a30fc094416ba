// Verified API keys and the event catalog are cached per instance. A change
// committed on one instance must reach the caches of the others at once:
// here two instances share PostgreSQL and nothing else (no Redis), so the
// invalidation can only travel as the database's change notification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from './helpers/graphql.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { freshDatabase } from './helpers/postgres.js';

const KEY = 'cache-test-bootstrap-key-000000';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let a: ServerProcess;
let b: ServerProcess;

before(async () => {
  db = await freshDatabase();
  const env = {
    DATABASE_URL: db.url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-pg-')),
    BOOTSTRAP_API_KEY: KEY,
    SECRET_ENCRYPTION_KEY: 'b'.repeat(64),
    WORKER_ENABLED: 'false',
  };
  [a, b] = await Promise.all([spawnServer({ ...env, INSTANCE_ID: 'cache-a' }), spawnServer({ ...env, INSTANCE_ID: 'cache-b' })]);
});

after(async () => {
  await a?.kill('SIGTERM');
  await b?.kill('SIGTERM');
  await db?.drop();
});

/** Milliseconds until `check` holds, polling every 5 ms; fails after `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a key revoked on instance B is refused by instance A, which had it cached', async (t) => {
  const created = await client(b.url, KEY)(`mutation { createApiKey(input: { name: "cached" }) { key apiKey { id } } }`);
  const { key, apiKey } = created.data.createApiKey;
  const viewerOnA = () => client(a.url, key)(`{ viewer { name } }`);
  // Used on A, so A holds it in its cache.
  for (let i = 0; i < 3; i++) assert.equal((await viewerOnA()).data.viewer.name, 'Admin');
  const revoked = await client(b.url, KEY)(`mutation($id: ID!) { revokeApiKey(id: $id) { userErrors { message } } }`, { id: apiKey.id });
  assert.deepEqual(revoked.data.revokeApiKey.userErrors, []);
  let tries = 0;
  const ms = await within(100, async () => (tries++, (await viewerOnA()).status === 401));
  t.diagnostic(`refused on the other instance by request ${tries} after the revocation answered (${ms.toFixed(1)} ms)`);
  const refused = await viewerOnA();
  assert.equal(refused.status, 401);
  assert.match(JSON.stringify(refused.errors), /invalid or has been revoked/);
});

test("a role changed on instance B applies to the associate's key on instance A, which had it cached", async (t) => {
  const admin = client(b.url, KEY);
  const made = await admin(
    `mutation { createAssociate(input: { name: "Rita Role", email: "rita@example.com", role: MEMBER }) { associate { id } } }`,
  );
  const id = made.data.createAssociate.associate.id;
  const keyed = await admin(`mutation($id: ID!) { createApiKey(input: { name: "rita", associateId: $id }) { key } }`, { id });
  const roleOnA = async () => (await client(a.url, keyed.data.createApiKey.key)(`{ credential { role } }`)).data.credential.role;
  for (let i = 0; i < 3; i++) assert.equal(await roleOnA(), 'MEMBER');
  const promoted = await admin(`mutation($id: ID!) { updateAssociate(id: $id, input: { role: ADMIN }) { userErrors { message } } }`, {
    id,
  });
  assert.deepEqual(promoted.data.updateAssociate.userErrors, []);
  let tries = 0;
  const ms = await within(100, async () => (tries++, (await roleOnA()) === 'ADMIN'));
  t.diagnostic(`ADMIN on the other instance by request ${tries} after the change answered (${ms.toFixed(1)} ms)`);
});

test('an event type created on instance B can be published on instance A at once', async (t) => {
  // A caches the account's catalog when it checks a publish.
  const before = await client(
    a.url,
    KEY,
  )(`mutation { publishEvent(input: { type: "parcel.sent", payload: {} }) { userErrors { message } } }`);
  assert.match(JSON.stringify(before.data.publishEvent.userErrors), /Unknown event type/);
  const made = await client(
    b.url,
    KEY,
  )(`mutation { createEventType(input: { name: "parcel.sent", group: "Parcels" }) { userErrors { message } } }`);
  assert.deepEqual(made.data.createEventType.userErrors, []);
  let tries = 0;
  const ms = await within(100, async () => {
    tries++;
    const res = await client(
      a.url,
      KEY,
    )(`mutation { publishEvent(input: { type: "parcel.sent", payload: {} }) { userErrors { message } } }`);
    return res.data.publishEvent.userErrors.length === 0;
  });
  t.diagnostic(`known on the other instance by publish ${tries} after it was created (${ms.toFixed(1)} ms)`);
});

test('revocations sent while an instance was not listening are not missed: its caches are dropped when it listens again', async (t) => {
  const { ADMIN_URL } = await import('./helpers/postgres.js');
  const pg = (await import('pg')).default;
  const created = await client(b.url, KEY)(`mutation { createApiKey(input: { name: "missed" }) { key apiKey { id } } }`);
  const { key, apiKey } = created.data.createApiKey;
  const viewerOnA = () => client(a.url, key)(`{ viewer { name } }`);
  for (let i = 0; i < 3; i++) assert.equal((await viewerOnA()).data.viewer.name, 'Admin');

  // Cut both instances' change-notification connections; they come back after about a second.
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const dbName = new URL(db.url).pathname.slice(1);
    const cut = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      [dbName],
    );
    assert.ok(cut.rowCount! >= 2, `cut ${cut.rowCount} listening connections`);
    // Revoked while nobody listens: the notification is lost.
    const revoked = await client(b.url, KEY)(`mutation($id: ID!) { revokeApiKey(id: $id) { userErrors { message } } }`, { id: apiKey.id });
    assert.deepEqual(revoked.data.revokeApiKey.userErrors, []);
    const listening = async () =>
      (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`, [dbName])).rows[0]
        .n >= 2;
    const ms = await within(10_000, listening);
    t.diagnostic(`listening again after ${ms.toFixed(0)} ms`);
  } finally {
    await admin.end();
  }
  await within(1_000, async () => (await viewerOnA()).status === 401);
});
