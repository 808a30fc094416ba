// On PostgreSQL a publish inserts its new rows already leased to this
// instance's delivery thread while the thread has room for them
// (src/base/deliveryRoom.ts), and the thread sends them without claiming
// them: the row's first version is the one the publish wrote, with the
// event's transaction id. A gated webhook's rows are not leased (its own
// claim paces them), the thread holds only so many, and a stopping thread
// gives back what it has not sent. On SQLite every row is inserted unleased
// and claimed as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startTestApp, BOOTSTRAP_KEY, ON_POSTGRES, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';
import { ADMIN_URL } from './helpers/postgres.js';

const CONCURRENCY = 2;
/** The thread's slots and the queue of owned rows it may hold behind them (OWNED_AHEAD = 3 in src/dispatch/worker.ts). */
const MOST_OWNED = 4 * CONCURRENCY;

let app: TestApp;
let gql: Gql;
let stopped = false;
const receivers: Receiver[] = [];
/** Responses held until the test lets them go. */
const held: (() => void)[] = [];

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    DELIVERY_CONCURRENCY: String(CONCURRENCY),
    ACCOUNT_CONCURRENCY: String(CONCURRENCY),
    // Leases of 2 × 3 s + 2 s = 8 s: an owned row held unsent is given back after 4 s.
    DELIVERY_TIMEOUT_MS: '3000',
    DELIVERY_LEASE: '1s',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  for (const type of ['lease.first', 'lease.gated', 'lease.busy', 'lease.held', 'lease.stop']) await createEventType(gql, type);
});
after(async () => {
  for (const release of held.splice(0)) release();
  for (const r of receivers) await r.close();
  if (!stopped) await app.stop();
  else if (ON_POSTGRES) await dropDatabase(app.running.state.config.databaseUrl);
});

async function holdingReceiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  r.respond((_req, _i, res) => void held.push(() => res.writeHead(200).end()));
  return r;
}

interface RowVersion {
  id: string;
  leaseOwner: string | null;
  /** The row's version is the publish's own: no claim has rewritten it. */
  asInserted: boolean;
}

/** The event's deliveries: who holds each, and whether it is still the version the publish wrote. */
async function rowsOf(eventId: string): Promise<RowVersion[]> {
  const { sql } = app.running.state;
  if (!ON_POSTGRES) {
    const rows = await sql.all<{ id: string; leaseOwner: string | null }>(`SELECT "id", "leaseOwner" FROM "Delivery" WHERE "eventId" = ?`, [
      eventId,
    ]);
    return rows.map((r) => ({ ...r, asInserted: false }));
  }
  return sql.all<RowVersion>(
    `SELECT d."id", d."leaseOwner", d.xmin::text = e.xmin::text AS "asInserted"
       FROM "Delivery" d JOIN "Event" e ON e."id" = d."eventId" WHERE d."eventId" = ?`,
    [eventId],
  );
}

test('a publish leases its rows to this instance, which sends them without a claim; a gated webhook is claimed as before', async () => {
  const r = await holdingReceiver();
  const gatedReceiver = await holdingReceiver();
  await createWebhook(gql, { name: 'plain', targetUrl: r.url, events: ['lease.first'] });
  await createWebhook(gql, { name: 'gated', targetUrl: gatedReceiver.url, events: ['lease.gated'], rateLimit: 100 });
  const instance = app.running.state.config.instanceId;

  const plain = await publish(gql, 'lease.first', { n: 1 });
  await r.waitFor(1);
  const [row] = await rowsOf(plain.eventId);
  // Sent and unanswered: the row is held by this instance either way.
  assert.equal(row.leaseOwner, instance);
  assert.equal(row.asInserted, ON_POSTGRES, ON_POSTGRES ? 'sent without a claim rewriting the row' : 'claimed (SQLite)');

  const gated = await publish(gql, 'lease.gated', { n: 1 });
  await gatedReceiver.waitFor(1);
  const [gatedRow] = await rowsOf(gated.eventId);
  assert.equal(gatedRow.leaseOwner, instance);
  assert.equal(gatedRow.asInserted, false, "a gated webhook's row is claimed by its own claim");
  for (const release of held.splice(0)) release();
  await r.waitFor(1);
});

test('the thread holds only so many leased rows; the rest are inserted unleased and claimed once there is room', async () => {
  const r = await holdingReceiver();
  await createWebhook(gql, { name: 'busy', targetUrl: r.url, events: ['lease.busy'] });
  const events: string[] = [];
  for (let i = 0; i < 30; i++) events.push((await publish(gql, 'lease.busy', { i })).eventId);
  await r.waitFor(CONCURRENCY);
  const rows = (await Promise.all(events.map(rowsOf))).flat();
  const leased = rows.filter((x) => x.leaseOwner !== null);
  if (ON_POSTGRES) {
    assert.ok(
      leased.some((x) => x.asInserted),
      'some rows were leased at insert',
    );
    assert.ok(leased.length <= MOST_OWNED, `${leased.length} rows leased, more than ${MOST_OWNED}`);
  }
  assert.ok(
    rows.some((x) => x.leaseOwner === null),
    'rows past the room wait unleased',
  );

  // Every row is delivered once the receiver answers.
  r.respond((_req, _i, res) => void res.writeHead(200).end());
  for (const release of held.splice(0)) release();
  const distinct = () => new Set(r.received.map((x) => x.headers['webhook-id'])).size;
  await waitUntil(() => distinct() === 30 || null, 'all 30 events delivered');
});

test('an owned row held unsent for half its lease is given back, so no other instance sends it twice; each is sent once', async () => {
  // The account's two slots hold requests until they time out (3 s); six
  // rows wait in the thread, leased at insert (no policy: not gated). The
  // last two would wait two timeouts (6 s), past half their 8-s lease.
  const r = await holdingReceiver();
  await createWebhook(gql, { name: 'account full', targetUrl: r.url, events: ['lease.held'] });
  const events: string[] = [];
  for (let i = 0; i < 6; i++) events.push((await publish(gql, 'lease.held', { i })).eventId);
  await r.waitFor(CONCURRENCY);
  if (ON_POSTGRES) {
    const leased = (await Promise.all(events.map(rowsOf))).flat().filter((x) => x.asInserted && x.leaseOwner !== null);
    assert.ok(leased.length > CONCURRENCY, `${leased.length} rows leased at insert: some of them wait`);
  }
  // Rows not yet sent are given back once held for half their lease, before they are sent.
  const unsentGivenBack = async () => {
    const sent = new Set(r.received.map((x) => String(x.headers['webhook-id'])));
    const unsent = events.filter((e) => !sent.has(e));
    if (!unsent.length) return null;
    const rows = (await Promise.all(unsent.map(rowsOf))).flat();
    return rows.every((x) => x.leaseOwner === null) || null;
  };
  await waitUntil(unsentGivenBack, 'rows still waiting given back before they are sent', 10_000);
  r.respond((_req, _i, res) => void res.writeHead(200).end());
  for (const release of held.splice(0)) release();
  await waitUntil(() => new Set(r.received.map((x) => x.headers['webhook-id'])).size === 6 || null, 'all six events delivered');
});

test('a stopping instance gives back the leased rows it has not sent', async () => {
  const r = await holdingReceiver();
  await createWebhook(gql, { name: 'stopping', targetUrl: r.url, events: ['lease.stop'] });
  const events: string[] = [];
  for (let i = 0; i < 6; i++) events.push((await publish(gql, 'lease.stop', { i })).eventId);
  await r.waitFor(1);
  const { config } = app.running.state;
  const rowsBefore = (await Promise.all(events.map(rowsOf))).flat();
  if (ON_POSTGRES)
    assert.ok(
      rowsBefore.some((x) => x.leaseOwner !== null && x.asInserted),
      'rows were leased at insert',
    );
  // Let the sends in flight finish, so the stop does not wait for their timeout.
  r.respond((_req, _i, res) => void res.writeHead(200).end());
  setTimeout(() => held.splice(0).forEach((release) => release()), 50);
  stopped = true;
  await app.running.stop();
  const stillHeld = await countHeld(config.databaseUrl, config.instanceId, app.dbPath);
  assert.equal(stillHeld, 0, 'no row is left leased to the stopped instance');
});

/** Pending rows leased to `owner`, read on a connection of the test's own (the app's is closed). */
async function countHeld(databaseUrl: string, owner: string, dbPath: string | null): Promise<number> {
  if (!ON_POSTGRES) {
    const db = new Database(dbPath!, { readonly: true });
    try {
      return (
        db.prepare(`SELECT COUNT(*) AS n FROM "Delivery" WHERE "status" = 'PENDING' AND "leaseOwner" = ?`).get(owner) as { n: number }
      ).n;
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT COUNT(*)::int AS n FROM "Delivery" WHERE "status" = 'PENDING' AND "leaseOwner" = $1`, [owner]);
    return rows[0].n;
  } finally {
    await c.end();
  }
}

async function dropDatabase(url: string) {
  const name = new URL(url).pathname.slice(1);
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
