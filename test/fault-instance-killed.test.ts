// Fault: one of three instances dies (kill -9) while 1,000 events to 2
// webhooks are being published and delivered. Three real processes share one
// PostgreSQL database; each serves the API and runs a worker. Clients whose
// publish failed with the dying instance retry it, with the same
// idempotency key, on another one.
//
// Every acknowledged publish must be delivered. A delivery may be sent twice
// only if the killed instance had claimed it and not yet recorded its
// attempt when it died: the duplicates are counted and checked against
// exactly those deliveries (their lease owner at the moment of the kill).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { freshDatabase } from './helpers/postgres.js';
import { waitUntil } from './helpers/wait.js';

const EVENTS = 1000;
const CONCURRENCY = 16;
const KEY = 'fault-kill-bootstrap-key-0000000';
const VICTIM = 'instance-3';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: Awaited<ReturnType<typeof freshDatabase>>;
let servers: ServerProcess[] = [];
let c: pg.Client | null = null;
const receivers: Receiver[] = [];

before(async () => {
  db = await freshDatabase('hookline_fault_kill');
  const env = {
    DATABASE_URL: db.url,
    BOOTSTRAP_API_KEY: KEY,
    SECRET_ENCRYPTION_KEY: 'c'.repeat(64),
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05,0.1,0.2,0.5,1',
    DELIVERY_CONCURRENCY: String(CONCURRENCY),
    // Generous for a loaded 2-core machine (three instances, PostgreSQL and
    // the receivers share it). The dead instance's claims are taken over when
    // their leases end: the worker makes a lease at least 2 x timeout + 2 s = 6 s.
    DELIVERY_TIMEOUT_MS: '2000',
    DELIVERY_LEASE: '2s',
    // A slow moment must not turn the receivers off: failures here are retried, and accounted for below.
    AUTO_DISABLE_AFTER: '100000',
    WORKER_POLL_MS: '20',
  };
  servers = await Promise.all(
    [1, 2, 3].map((i) =>
      spawnServer({ ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-fault-kill-')), INSTANCE_ID: `instance-${i}` }),
    ),
  );
  for (const path of ['/a', '/b']) {
    const r = await startReceiver(path);
    // A short think time, so each worker has deliveries in flight at any moment.
    r.respond((_req, _i, res) => void setTimeout(() => res.end('ok'), 5));
    receivers.push(r);
  }
});

after(async () => {
  if (process.env.DEBUG_FAULTS) for (const s of servers) console.log(s.output().slice(-3000));
  await c?.end().catch(() => undefined);
  for (const s of servers) await s.kill('SIGTERM');
  for (const r of receivers) await r.close();
  await db?.drop();
});

test('kill -9 of one of three instances mid-flight: every acknowledged publish is delivered, duplicates only from its claims', async (t) => {
  const [first, , victim] = servers;
  const gqls: Gql[] = servers.map((s) => client(s.url, KEY));
  await gqls[0](`mutation { createEventType(input: { name: "order.paid", group: "Orders" }) { userErrors { message } } }`);
  const webhookIds: string[] = [];
  for (const [i, r] of receivers.entries()) {
    const res = await gqls[0](
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { message } } }`,
      { input: { name: `receiver ${i}`, targetUrl: r.url, events: ['order.paid'] } },
    );
    assert.deepEqual(res.data.createWebhook.userErrors, []);
    webhookIds.push(res.data.createWebhook.webhook.id);
  }

  const acked = new Map<number, string>();
  let killed = false;
  const alive = () => servers.map((s, i) => i).filter((i) => !killed || servers[i] !== victim);
  let failedPublishes = 0;
  let next = 0;
  let lastFailure = '';
  const publisher = async (p: number) => {
    while (next < EVENTS) {
      const i = next++;
      for (let tries = 0; ; tries++) {
        const on = alive();
        const gql = gqls[on[(i + tries + p) % on.length]];
        try {
          const res = await gql(
            `mutation($input: PublishEventInput!) { publishEvent(input: $input) { event { id } deliveryCount duplicate userErrors { message } } }`,
            { input: { type: 'order.paid', payload: { order: i }, idempotencyKey: `order-${i}` } },
          );
          // A retry of a publish whose answer was lost comes back as a duplicate of the first.
          if (res.data?.publishEvent?.deliveryCount === 2) {
            acked.set(i, res.data.publishEvent.event.id);
            break;
          }
          lastFailure = JSON.stringify(res);
        } catch (err) {
          lastFailure = String(err); // the instance died under this request
        }
        failedPublishes++;
        assert.ok(tries < 20, `publish ${i} kept failing: ${lastFailure}`);
        await sleep(50);
      }
    }
  };

  // Kill the third instance once deliveries are flowing and publishes are still being made.
  const conn = new pg.Client({ connectionString: db.url });
  c = conn;
  await conn.connect();
  let claimedByVictim = new Set<string>();
  const total = () => receivers[0].received.length + receivers[1].received.length;
  const killer = async () => {
    await waitUntil(() => total() >= 500, 'deliveries to flow', 30_000, 5);
    killed = true;
    await victim.kill('SIGKILL');
    // Its unrecorded claims: nobody can take them before their leases end (6 s).
    const { rows } = await conn.query(`SELECT "id" FROM "Delivery" WHERE "leaseOwner" = $1 AND "status" = 'PENDING'`, [VICTIM]);
    claimedByVictim = new Set(rows.map((r) => r.id as string));
  };
  const acknowledged = await Promise.all([...Array.from({ length: 9 }, (_, p) => publisher(p)), killer()]).then(() => acked.size);
  t.diagnostic(
    `killed ${VICTIM} after ${total()} received deliveries; it held ${claimedByVictim.size} unrecorded claims ` +
      `(DELIVERY_CONCURRENCY ${CONCURRENCY}); ${failedPublishes} publish attempts failed and were retried elsewhere`,
  );
  assert.equal(acknowledged, EVENTS);
  assert.ok(claimedByVictim.size > 0, 'the killed instance had deliveries in flight');

  // Every acknowledged publish reaches both receivers.
  const ids = [...acked.values()];
  const missing = () =>
    receivers.map((r) => {
      const seen = new Set(r.received.map((x) => String(x.headers['webhook-id'])));
      return ids.filter((id) => !seen.has(id)).length;
    });
  await waitUntil(() => missing().every((m) => m === 0), 'every acknowledged event at both receivers', 30_000, 100).catch((err) => {
    throw new Error(`${err.message}; missing: ${missing()}`);
  });
  await waitUntil(
    async () => Number((await conn.query(`SELECT count(*) AS n FROM "Delivery" WHERE "status" <> 'SUCCEEDED'`)).rows[0].n) === 0,
    'every delivery recorded as succeeded',
  );
  assert.equal(
    Number((await conn.query(`SELECT count(*) AS n FROM "Delivery"`)).rows[0].n),
    2 * EVENTS,
    'one delivery per event and webhook',
  );

  // Every request a receiver saw has its attempt row, except at most one per
  // delivery the killed instance had claimed and not recorded: those are the
  // only duplicates the kill may cause. (A timed-out attempt that reached the
  // receiver has its row, so retries after slow moments balance out.)
  const seen = new Map<string, number>();
  for (const [i, r] of receivers.entries()) {
    for (const x of r.received) {
      const k = `${webhookIds[i]} ${String(x.headers['webhook-id'])}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }
  const { rows } = await conn.query(
    `SELECT d."id", d."webhookId", d."eventId", (SELECT count(*) FROM "DeliveryAttempt" a WHERE a."deliveryId" = d."id") AS attempts
       FROM "Delivery" d`,
  );
  let unrecorded = 0;
  for (const d of rows) {
    const extra = (seen.get(`${d.webhookId} ${d.eventId}`) ?? 0) - Number(d.attempts);
    if (extra <= 0) continue;
    assert.ok(claimedByVictim.has(d.id), `delivery ${d.id} was sent ${extra} more time(s) than recorded but was not the killed instance's`);
    assert.equal(extra, 1, `delivery ${d.id} sent ${extra} times unrecorded`);
    unrecorded += extra;
  }
  // In all: at most one per lost claim, plus one per recorded failed attempt
  // (a timeout on a slow moment is retried; normally there are none).
  const failed = Number((await conn.query(`SELECT count(*) AS n FROM "DeliveryAttempt" WHERE "status" = 'FAILED'`)).rows[0].n);
  const duplicates = [...seen.values()].reduce((n, k) => n + k - 1, 0);
  t.diagnostic(
    `${duplicates} duplicate deliveries, ${unrecorded} of them sends the killed instance never recorded; ${failed} failed attempts`,
  );
  assert.ok(unrecorded <= claimedByVictim.size);
  assert.ok(
    duplicates <= claimedByVictim.size + failed,
    `${duplicates} duplicates, ${claimedByVictim.size} claims lost, ${failed} failed attempts`,
  );

  // The survivors are still serving.
  for (const s of servers.filter((s) => s !== victim)) assert.equal(s.child.exitCode, null);
  assert.equal((await client(first.url, KEY)(`{ webhooks { totalCount } }`)).data.webhooks.totalCount, 2);
});
