// Upgrading a database whose webhooks stored custom headers in plain text
// (before 20261124100000_webhook_sealed_headers): after the new version
// starts, no credential is left in plain text, in the webhook rows or in the
// attempts recorded earlier, and deliveries still carry the real values.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { BOOTSTRAP_KEY, testEnv } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { loadMigrations } from '../src/db/migrate.js';
import { generateWebhookSecret, SecretBox } from '../src/base/secrets.js';
import type { RunningApp } from '../src/app/app.js';

const SEALING_MIGRATION = '20261124100000_webhook_sealed_headers';
const KEY = randomBytes(32);
const TOKEN = 'Bearer legacy-token-5e8c1b';
const MASK = '********';

let running: RunningApp;
let dropDb: (() => Promise<void>) | undefined;
let receiver: Receiver;
let gql: Gql;
let run: (text: string, values?: unknown[]) => Promise<unknown[]>;

/** Runs statements on the database directly, with the service's own binding of dates ("?" placeholders on both). */
async function connect(env: Awaited<ReturnType<typeof testEnv>>) {
  if (env.dbPath) {
    const db = new Database(env.dbPath);
    const bind = (vs: unknown[]) => vs.map((v) => (v instanceof Date ? v.getTime() : v));
    return {
      exec: async (text: string, values: unknown[] = []) => {
        const st = db.prepare(text);
        return st.reader ? st.all(...bind(values)) : (st.run(...bind(values)), []);
      },
      script: async (text: string) => void db.exec(text),
      close: async () => db.close(),
    };
  }
  const c = new pg.Client({ connectionString: env.pg!.url });
  await c.connect();
  return {
    exec: async (text: string, values: unknown[] = []) => {
      let i = 0;
      return (
        await c.query(
          text.replace(/\?/g, () => `$${++i}`),
          values.map((v) => (v instanceof Date ? v.toISOString() : v)),
        )
      ).rows;
    },
    script: async (text: string) => void (await c.query(text)),
    close: () => c.end(),
  };
}

before(async () => {
  receiver = await startReceiver();
  const env = await testEnv({ ALLOW_PRIVATE_TARGETS: 'true', SECRET_ENCRYPTION_KEY: KEY.toString('hex'), WORKER_ENABLED: 'false' });
  dropDb = env.pg?.drop;
  const provider = env.dbPath ? 'sqlite' : 'postgresql';

  // The database as the previous version left it: every migration before the sealing one, recorded in the ledger.
  const db = await connect(env);
  await db.script(
    `CREATE TABLE IF NOT EXISTS _hookline_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`,
  );
  for (const m of loadMigrations(provider).filter((m) => m.name < SEALING_MIGRATION)) {
    await db.script(m.sql);
    await db.exec(`INSERT INTO _hookline_migrations (name, checksum, applied_at) VALUES (?, ?, ?)`, [
      m.name,
      m.checksum,
      new Date().toISOString(),
    ]);
  }
  const now = new Date();
  const secret = new SecretBox(KEY).encrypt(generateWebhookSecret());
  await db.exec(`INSERT INTO "Account" ("id", "name") VALUES ('acct1', 'default')`);
  await db.exec(
    `INSERT INTO "Associate" ("id", "accountId", "name", "email", "role", "updatedAt") VALUES ('assoc1', 'acct1', 'Admin', 'a@example.com', 'ADMIN', ?)`,
    [now],
  );
  const webhook = (id: string, headers: Record<string, string>) =>
    db.exec(
      `INSERT INTO "Webhook" ("id", "accountId", "name", "nameKey", "targetUrl", "headers", "properties", "ownerId", "registeredById", "updatedById", "secretCiphertext")
       VALUES (?, 'acct1', ?, ?, ?, ?, '{}', 'assoc1', 'assoc1', 'assoc1', ?)`,
      [id, id, id, receiver.url, JSON.stringify(headers), secret],
    );
  await webhook('legacy', { Authorization: TOKEN, 'X-Team': 'growth' });
  await webhook('plain', {});
  // A webhook whose Authorization header was removed later: its old attempts still recorded the value.
  await webhook('removed', {});
  await db.exec(`INSERT INTO "Event" ("id", "accountId", "type", "payload") VALUES ('ev1', 'acct1', 'webhook.ping', '{}')`);
  for (const w of ['legacy', 'plain', 'removed']) {
    await db.exec(
      `INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status") VALUES (?, 'acct1', 'ev1', ?, 'SUCCEEDED')`,
      [`d-${w}`, w],
    );
    const sent = {
      'X-Team': 'growth',
      ...(w === 'plain' ? {} : { Authorization: TOKEN }),
      'webhook-signature': 'v1,abc=',
      'x-hookline-signature-256': 'sha256=00',
    };
    await db.exec(
      `INSERT INTO "DeliveryAttempt" ("id", "accountId", "deliveryId", "webhookId", "attemptNumber", "trigger", "status", "requestUrl", "requestHeaders", "requestBody", "responseStatus", "durationMs")
       VALUES (?, 'acct1', ?, ?, 1, 'SCHEDULED', 'SUCCEEDED', ?, ?, '{}', 200, 5)`,
      [`a-${w}`, `d-${w}`, w, receiver.url, JSON.stringify(sent)],
    );
  }
  await db.close();

  // Then the new version starts on it.
  const { startApp } = await import('../src/app/app.js');
  const { loadConfig } = await import('../src/base/config.js');
  running = await startApp(loadConfig(env.vars));
  gql = client(running.url.replace('localhost', '127.0.0.1'), BOOTSTRAP_KEY);
  run = (text, values) => running.state.sql.all(text, values);
});
after(async () => {
  await running?.stop();
  await dropDb?.();
  await receiver.close();
});

test('start-up seals the plain-text headers the migration carried over; empty ones become none', async () => {
  const rows = (await run(`SELECT "id", "headersCiphertext" FROM "Webhook" ORDER BY "id"`)) as {
    id: string;
    headersCiphertext: string | null;
  }[];
  assert.deepEqual(
    rows.map((r) => [r.id, r.headersCiphertext === null ? null : r.headersCiphertext.slice(0, 3)]),
    [
      ['legacy', 'v1.'],
      ['plain', null],
      ['removed', null],
    ],
  );
  assert.ok(!JSON.stringify(rows).includes('legacy-token'));
});

test('attempts recorded before the upgrade hold sensitive values masked; everything else as it was', async () => {
  const rows = (await run(`SELECT "id", "requestHeaders" FROM "DeliveryAttempt" ORDER BY "id"`)) as {
    id: string;
    requestHeaders: string;
  }[];
  const byId = Object.fromEntries(rows.map((r) => [r.id, JSON.parse(r.requestHeaders)]));
  const kept = { 'X-Team': 'growth', 'webhook-signature': 'v1,abc=', 'x-hookline-signature-256': 'sha256=00' };
  assert.deepEqual(byId['a-legacy'], { ...kept, Authorization: MASK });
  assert.deepEqual(byId['a-removed'], { ...kept, Authorization: MASK });
  assert.deepEqual(byId['a-plain'], kept);
  assert.ok(!JSON.stringify(rows).includes('legacy-token'));
});

test('the upgraded webhook shows its headers masked and still sends the real value', async () => {
  const res = await gql(`{ webhook(id: "legacy") { headers sensitiveHeaders } }`);
  assert.deepEqual(res.data.webhook, { headers: { Authorization: MASK, 'X-Team': 'growth' }, sensitiveHeaders: ['Authorization'] });
  const pinged = await gql(`mutation { pingWebhook(id: "legacy") { attempt { requestHeaders } userErrors { message } } }`);
  assert.deepEqual(pinged.data.pingWebhook.userErrors, []);
  assert.equal(pinged.data.pingWebhook.attempt.requestHeaders.Authorization, MASK);
  const [got] = await receiver.waitFor(1);
  assert.equal(got.headers.authorization, TOKEN);
  assert.equal(got.headers['x-team'], 'growth');
});
