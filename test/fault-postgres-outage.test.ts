// Fault: PostgreSQL goes away in the middle of a publish burst. The server
// (a real process, as `npm start` runs it) publishes 500 events to 2
// webhooks while first its connections are cut again and again, and then its
// database refuses connections altogether for a few seconds. Only this
// test's own database is touched (its backends terminated, its connections
// refused with ALLOW_CONNECTIONS false): the shared PostgreSQL server keeps
// running for everyone else, and the test restores the setting.
//
// Every publish that was answered successfully must be delivered, the worker
// must resume on its own, /readyz must report the outage while it lasts and
// recover after it, and the process must survive. A client retries a failed
// publish with the same idempotency key, as the README advises, so every
// event is acknowledged exactly once in the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { client } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { ADMIN_URL, freshDatabase } from './helpers/postgres.js';
import { waitUntil } from './helpers/wait.js';

const EVENTS = 500;
const KEY = 'fault-pg-bootstrap-key-00000000';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: Awaited<ReturnType<typeof freshDatabase>>;
let dbName: string;
let admin: pg.Client;
let server: ServerProcess | null = null;
const receivers: Receiver[] = [];

before(async () => {
  db = await freshDatabase('hookline_fault_pg');
  dbName = new URL(db.url).pathname.slice(1);
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  receivers.push(await startReceiver('/a'), await startReceiver('/b'));
  server = await spawnServer({
    DATABASE_URL: db.url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-fault-pg-')),
    BOOTSTRAP_API_KEY: KEY,
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05,0.1,0.2,0.5,1,1,1,1',
    DELIVERY_TIMEOUT_MS: '1000',
    // An attempt whose record was lost with the connection is sent again
    // once its lease ends: keep that short so the test does not wait a minute.
    DELIVERY_LEASE: '2s',
    WORKER_POLL_MS: '20',
  });
});

after(async () => {
  // Restore what the test changed, even when it failed mid-outage.
  await admin?.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => undefined);
  if (process.env.DEBUG_FAULTS) console.log(server?.output().slice(-5000));
  await server?.kill();
  for (const r of receivers) await r.close();
  await admin?.end().catch(() => undefined);
  await db?.drop();
});

/** Terminates every connection to the test database (the server's pools, listeners and Prisma's). */
async function cutConnections(): Promise<number> {
  const { rows } = await admin.query(
    `SELECT count(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) t`,
    [dbName],
  );
  return Number(rows[0].n);
}

test('500 events x 2 webhooks published through PostgreSQL connection cuts and an outage are all delivered', async (t) => {
  const srv = server!;
  const gql = client(srv.url, KEY);
  await gql(`mutation { createEventType(input: { name: "order.paid", group: "Orders" }) { userErrors { message } } }`);
  for (const [i, r] of receivers.entries()) {
    const res = await gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { userErrors { message } } }`, {
      input: { name: `receiver ${i}`, targetUrl: r.url, events: ['order.paid'] },
    });
    assert.deepEqual(res.data.createWebhook.userErrors, []);
  }

  // The burst: 5 publishers, paced (~80 publishes/s) so it spans both fault phases.
  const acked = new Map<number, string>();
  const failedAnswers: string[] = [];
  let next = 0;
  const publishOnce = async (i: number): Promise<string | null> => {
    try {
      const res = await gql(
        `mutation($input: PublishEventInput!) { publishEvent(input: $input) { event { id } deliveryCount userErrors { message } } }`,
        { input: { type: 'order.paid', payload: { order: i }, idempotencyKey: `order-${i}` } },
      );
      const p = res.data?.publishEvent;
      if (res.status === 200 && !res.errors && p && p.userErrors.length === 0 && p.deliveryCount === 2) return p.event.id;
      failedAnswers.push(`HTTP ${res.status} ${JSON.stringify(res.errors ?? p?.userErrors)}`);
    } catch (err) {
      failedAnswers.push(`no answer: ${(err as Error).message}`);
    }
    return null;
  };
  const publisher = async () => {
    while (next < EVENTS) {
      const i = next++;
      for (;;) {
        assert.equal(srv.child.exitCode, null, `the server exited:\n${srv.output().slice(-3000)}`);
        const id = await publishOnce(i);
        if (id) {
          acked.set(i, id);
          break;
        }
        await sleep(100); // the client's retry, same idempotency key
      }
      await sleep(60);
    }
  };

  // The faults, on a timeline from the start of the burst.
  const readyz: { at: number; status: number }[] = [];
  let cuts = 0;
  let terminated = 0;
  const faults = async () => {
    const started = Date.now();
    await sleep(500);
    // Phase 1 (2 s): connections cut every 50 ms; the server can reconnect at once.
    while (Date.now() - started < 2500) {
      terminated += await cutConnections();
      cuts++;
      await sleep(50);
    }
    // Phase 2 (3 s): the database refuses connections, as while PostgreSQL restarts.
    await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    try {
      const outageEnds = Date.now() + 3000;
      while (Date.now() < outageEnds) {
        terminated += await cutConnections();
        const res = await fetch(`${srv.base}/readyz`).catch(() => null);
        readyz.push({ at: Date.now(), status: res?.status ?? 0 });
        await sleep(100);
      }
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    }
  };

  await Promise.all([...Array.from({ length: 5 }, publisher), faults()]);
  t.diagnostic(
    `${cuts} cuts terminated ${terminated} backends; ${failedAnswers.length} publish answers were failures ` +
      `(first: ${failedAnswers[0] ?? 'none'}); readyz during the outage: ${readyz.map((r) => r.status).join(',')}`,
  );
  assert.ok(failedAnswers.length > 0, 'the faults reached publishes');
  assert.equal(acked.size, EVENTS);

  // /readyz said so while the database was away, and says ready after it, on its own.
  assert.ok(
    readyz.some((r) => r.status === 503),
    'readyz answered 503 during the outage',
  );
  assert.ok(
    readyz.every((r) => r.status === 503 || r.status === 200),
    `readyz answered only 200 or 503: ${readyz.map((r) => r.status)}`,
  );
  await waitUntil(async () => (await fetch(`${srv.base}/readyz`)).status === 200, 'readyz to answer 200 after the outage', 15_000);

  // Every acknowledged publish reaches both receivers; the worker resumed on its own.
  const ids = [...acked.values()];
  const missing = (r: Receiver) => {
    const seen = new Set(r.received.map((x) => String(x.headers['webhook-id'])));
    return ids.filter((id) => !seen.has(id));
  };
  await waitUntil(() => receivers.every((r) => missing(r).length === 0), 'every acknowledged event at both receivers', 30_000, 100).catch(
    (err) => {
      throw new Error(`${err.message}; missing: ${receivers.map((r) => missing(r).length)}`);
    },
  );
  const duplicates = receivers.map((r) => r.received.length - new Set(r.received.map((x) => x.headers['webhook-id'])).size);
  t.diagnostic(`duplicate deliveries (attempts whose record was lost with a connection): ${duplicates}`);

  // The database agrees: one event per idempotency key, every delivery succeeded.
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const count = async (q: string) => Number((await c.query(q)).rows[0].n);
    assert.equal(await count(`SELECT count(*) AS n FROM "Event" WHERE "type" = 'order.paid'`), EVENTS, 'one event per idempotency key');
    await waitUntil(
      async () => (await count(`SELECT count(*) AS n FROM "Delivery" WHERE "status" = 'SUCCEEDED'`)) === 2 * EVENTS,
      'every delivery recorded as succeeded',
      15_000,
    );
    // The change and due-delivery listeners reconnected too (else other
    // instances' changes and wake-ups would no longer reach this one).
    await waitUntil(
      async () => {
        const { rows } = await c.query(`SELECT query FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN %'`, [dbName]);
        const listening = new Set(rows.map((r) => r.query.trim()));
        return listening.has('LISTEN hookline_changes') && listening.has('LISTEN hookline_deliveries');
      },
      'the LISTEN connections to come back',
      15_000,
    );
  } finally {
    await c.end();
  }

  // The API reads (Prisma's own pool) and writes work again, and the process never died.
  const after = await gql(`{ webhooks { totalCount } }`);
  assert.equal(after.data.webhooks.totalCount, 2);
  const more = await publishOnce(EVENTS);
  assert.ok(more, 'a publish after the outage succeeds');
  await waitUntil(() => receivers.every((r) => r.received.some((x) => x.headers['webhook-id'] === more)), 'the last event delivered');
  assert.equal(srv.child.exitCode, null);
});
