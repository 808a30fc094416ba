// A bulk retry over 100,000 failed deliveries runs in short batches (one
// transaction per BULK_BATCH_SIZE rows), so the worker
// keeps delivering other traffic while it runs: an event published to
// another webhook during the operation arrives promptly, every time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, ON_POSTGRES, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

const TOTAL = 100_000;
const BATCH = 1000;

let app: TestApp;
let gql: Gql;
let slow: Receiver;
let live: Receiver;

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    BULK_BATCH_SIZE: String(BATCH),
    BULK_PAUSE_MS: '0',
    AUTO_DISABLE_AFTER: '1000000',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  slow = await startReceiver();
  // The requeued deliveries go to a receiver that takes 50 ms each: they keep
  // their webhook's delivery slots busy for the whole test.
  slow.respond((_q, _i, res) => void setTimeout(() => res.writeHead(200).end('ok'), 50));
  live = await startReceiver();
  await createEventType(gql, 'bulk.old');
  await createEventType(gql, 'bulk.live');
});
after(async () => {
  await app.stop();
  await slow?.close();
  await live?.close();
});

/** 100,000 events, each with one FAILED delivery to the webhook, written with SQL (a fixture, not the path under test). */
async function failedDeliveries(webhookId: string) {
  const sql = app.running.state.sql;
  const { accountId } = (await sql.get<{ accountId: string }>(`SELECT "accountId" FROM "Webhook" WHERE "id" = ?`, [webhookId]))!;
  const base = Date.now() - 86_400_000;
  const series = ON_POSTGRES
    ? `generate_series(0, ${TOTAL - 1}) AS s(i)`
    : `(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${TOTAL - 1}) SELECT i FROM s) s`;
  const at = ON_POSTGRES ? `to_timestamp((${base} + i) / 1000.0)::timestamp(3)` : `(${base} + i)`;
  const id = (prefix: string) => (ON_POSTGRES ? `'${prefix}' || lpad(i::text, 8, '0')` : `'${prefix}' || printf('%08d', i)`);
  const status = ON_POSTGRES ? `'FAILED'::"DeliveryStatus"` : `'FAILED'`;
  await sql.run(`INSERT INTO "Event" ("id", "accountId", "type", "payload", "createdAt")
    SELECT ${id('bulkev')}, '${accountId}', 'bulk.old', '{"n":1}', ${at} FROM ${series}`);
  await sql.run(`INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "createdAt", "updatedAt")
    SELECT ${id('bulkde')}, '${accountId}', ${id('bulkev')}, '${webhookId}', ${status}, 3, ${at}, ${at} FROM ${series}`);
}

/** What the other webhook's deliveries went through, and the delivery thread's restarts: a failure here says why. */
async function liveDiagnosis(webhookId: string): Promise<string> {
  const sql = app.running.state.sql;
  const undelivered = await sql.all(
    `SELECT d."id", d."status", d."attemptCount", d."nextAttemptAt", d."leaseOwner", d."leaseUntil", d."createdAt"
     FROM "Delivery" d WHERE d."webhookId" = ? AND d."status" <> 'SUCCEEDED'`,
    [webhookId],
  );
  const attempts = await sql.all(
    `SELECT a."deliveryId", a."attemptNumber", a."status", a."responseStatus", a."error", a."createdAt"
     FROM "DeliveryAttempt" a WHERE a."webhookId" = ? AND a."status" <> 'SUCCEEDED'`,
    [webhookId],
  );
  return JSON.stringify({ now: new Date(), undelivered, attempts, deliveryThreadRestarts: app.running.delivery?.restarts });
}

test('a bulk retry of 100,000 deliveries runs in batches while another webhook keeps receiving promptly', async () => {
  const { id: oldHook } = await createWebhook(gql, { name: 'old', targetUrl: slow.url, events: ['bulk.old'] });
  const { id: liveHook } = await createWebhook(gql, { name: 'live', targetUrl: live.url, events: ['bulk.live'] });
  await failedDeliveries(oldHook);

  const started = await gql(
    `mutation($f: DeliveryFilter!) { retryDeliveries(filter: $f) { bulkOperation { id total } userErrors { message } } }`,
    {
      f: { webhookIds: [oldHook], statuses: ['FAILED'] },
    },
  );
  assert.deepEqual(started.errors, undefined);
  assert.deepEqual(started.data.retryDeliveries.userErrors, []);
  const opId: string = started.data.retryDeliveries.bulkOperation.id;

  // While it runs: publish to the other webhook every 100 ms and time each arrival.
  const latencies: number[] = [];
  const progress = new Set<number>();
  let status = 'RUNNING';
  while (status === 'RUNNING') {
    const op = (await gql(`query($id: ID!) { bulkOperation(id: $id) { status done total } }`, { id: opId })).data.bulkOperation;
    status = op.status;
    progress.add(op.done);
    if (status !== 'RUNNING') break;
    const before = live.received.length;
    const t0 = performance.now();
    await publish(gql, 'bulk.live', { n: latencies.length });
    await live.waitFor(before + 1, 30_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; ${await liveDiagnosis(liveHook)}`);
    });
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }

  const op = (await gql(`query($id: ID!) { bulkOperation(id: $id) { status done failed total } }`, { id: opId })).data.bulkOperation;
  assert.deepEqual(op, { status: 'SUCCEEDED', done: TOTAL, failed: 0, total: TOTAL });
  // Progress moved in batch-sized steps (one transaction per batch), seen at many points.
  const steps = [...progress].filter((d) => d > 0 && d < TOTAL);
  assert.ok(steps.length >= 5, `progress seen at ${steps.length} intermediate points`);
  for (const d of steps) assert.equal(d % BATCH, 0, `progress ${d} is a whole number of batches`);
  // Other traffic kept flowing: events published to the other webhook during
  // the operation were delivered during it, typically within a second (one
  // huge transaction would hold every one of them until the end). The bound
  // on the slowest is loose: with the CI's two test passes side by side on
  // two cores, one of about 30 deliveries on SQLite has taken over 10 s (an
  // open issue: a sibling webhook's backlog crowding the claim's candidates).
  latencies.sort((a, b) => a - b);
  assert.ok(latencies.length >= 5, `only ${latencies.length} events were published while the operation ran`);
  const median = latencies[latencies.length >> 1];
  const worst = latencies[latencies.length - 1];
  assert.ok(median < 1_000, `median delivery to the other webhook during the operation: ${median.toFixed(0)} ms`);
  assert.ok(worst < 30_000, `slowest delivery to the other webhook during the operation: ${worst.toFixed(0)} ms`);
  // And the requeued deliveries are really being delivered.
  await waitUntil(async () => slow.received.length > 0, 'requeued deliveries reach their receiver');
});
