// Fault: receivers that fail 30% of the time, at scale. 1,000 events fan out
// to 5 webhooks (5,000 deliveries); each receiver, at random per request,
// answers 500 (10%), resets the connection (10%) or never answers, so the
// attempt times out (10%), and otherwise answers 200. With a short retry
// schedule every delivery must succeed in the end, and the attempt ledger
// (DeliveryAttempt rows) must match exactly what each receiver saw: per
// delivery, one row per request, in order, each with the outcome the receiver
// gave. One case is not a mismatch: a receiver that got to a request only
// after the sender's timeout had passed (seen on a loaded machine: the
// receivers share this process's main thread with the API) answered nobody,
// and the row rightly says TIMEOUT; such late answers are counted.
// Runs on SQLite and, in the second pass, on PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, testDb, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

const WEBHOOKS = 5;
const EVENTS = 1000;
const TIMEOUT_MS = 1500;

type Outcome = 'ok' | 'http500' | 'reset' | 'timeout';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];
/** Per receiver: event id -> each request, in the order the receiver handled them: what it did and when. */
const answered: Map<string, { outcome: Outcome; at: number }[]>[] = [];

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    // 14 retries 20 ms (±20%) apart: 15 tries fail at 30% with odds 0.3^15,
    // about 1 in 70 million per delivery.
    RETRY_SCHEDULE: Array.from({ length: 14 }, () => '0.02').join(','),
    DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
    // Timeouts hold their slots for TIMEOUT_MS: enough slots that they do not throttle the rest.
    DELIVERY_CONCURRENCY: '200',
    WEBHOOK_CONCURRENCY: '40',
    // Streaks of failures are expected here; the webhooks must stay on.
    AUTO_DISABLE_AFTER: '100000',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  for (let i = 0; i < WEBHOOKS; i++) {
    const r = await startReceiver(`/flaky/${i}`);
    const requests = new Map<string, { outcome: Outcome; at: number }[]>();
    r.respond((req, _index, res) => {
      const roll = Math.random();
      const outcome: Outcome = roll < 0.1 ? 'http500' : roll < 0.2 ? 'reset' : roll < 0.3 ? 'timeout' : 'ok';
      const id = String(req.headers['webhook-id']);
      const list = requests.get(id) ?? [];
      list.push({ outcome, at: Date.now() });
      requests.set(id, list);
      if (outcome === 'ok') res.writeHead(200).end('ok');
      else if (outcome === 'http500') res.writeHead(500).end('flaky');
      else if (outcome === 'reset') res.socket?.resetAndDestroy();
      // 'timeout': no answer; the sender gives up and closes the connection.
    });
    receivers.push(r);
    answered.push(requests);
  }
});

after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

/** What an attempt row says the receiver did. */
function outcomeOf(a: { status: string; responseStatus: number | null; error: string | null }): string {
  if (a.status === 'SUCCEEDED' && a.responseStatus === 200) return 'ok';
  if (a.status === 'FAILED' && a.responseStatus === 500) return 'http500';
  if (a.status === 'FAILED' && a.responseStatus === null && a.error?.startsWith('CONNECTION_RESET:')) return 'reset';
  if (a.status === 'FAILED' && a.responseStatus === null && a.error?.startsWith('TIMEOUT:')) return 'timeout';
  return `unexpected ${a.status} ${a.responseStatus} ${a.error}`;
}

test('5,000 deliveries to receivers failing 30% of the time all succeed, and the attempt ledger matches what the receivers saw', async (t) => {
  await createEventType(gql, 'flaky.event');
  const webhookIds: string[] = [];
  for (const [i, r] of receivers.entries()) {
    webhookIds.push((await createWebhook(gql, { name: `flaky ${i}`, targetUrl: r.url, events: ['flaky.event'] })).id);
  }
  let next = 0;
  const publisher = async () => {
    while (next < EVENTS) {
      const n = next++;
      const { deliveryCount } = await publish(gql, 'flaky.event', { n });
      assert.equal(deliveryCount, WEBHOOKS);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: 10 }, publisher));

  const { prisma } = testDb();
  await waitUntil(
    async () => (await prisma.delivery.count({ where: { status: { not: 'SUCCEEDED' } } })) === 0,
    'every delivery to succeed',
    60_000,
    200,
  );
  t.diagnostic(`all ${WEBHOOKS * EVENTS} deliveries succeeded ${Date.now() - started} ms after the first publish`);

  const deliveries = await prisma.delivery.findMany({ select: { id: true, webhookId: true, eventId: true, attemptCount: true } });
  assert.equal(deliveries.length, WEBHOOKS * EVENTS);
  const attempts = await prisma.deliveryAttempt.findMany({
    select: { deliveryId: true, attemptNumber: true, status: true, responseStatus: true, error: true, createdAt: true, durationMs: true },
  });
  const ledger = new Map<string, typeof attempts>();
  for (const a of attempts) {
    const list = ledger.get(a.deliveryId) ?? [];
    list.push(a);
    ledger.set(a.deliveryId, list);
  }
  const totals: Record<string, number> = {};
  const mismatches: string[] = [];
  let lateAnswers = 0;
  for (const d of deliveries) {
    const saw = answered[webhookIds.indexOf(d.webhookId)].get(d.eventId) ?? [];
    const rows = (ledger.get(d.id) ?? []).sort((x, y) => x.attemptNumber - y.attemptNumber);
    for (const q of saw) totals[q.outcome] = (totals[q.outcome] ?? 0) + 1;
    const describe = () => `${d.id}: receiver ${saw.map((q) => q.outcome)}, ledger ${rows.map(outcomeOf)}`;
    if (saw.length !== rows.length) {
      mismatches.push(describe());
      continue;
    }
    rows.forEach((row, j) => {
      const recorded = outcomeOf(row);
      if (recorded === saw[j].outcome) return;
      // Handled after the sender's deadline (this attempt's start + timeout): nobody was waiting.
      const deadline = row.createdAt.getTime() - row.durationMs + TIMEOUT_MS;
      if (recorded === 'timeout' && saw[j].at >= deadline - 50) lateAnswers++;
      else mismatches.push(`${describe()} (request ${j + 1})`);
    });
    assert.equal(outcomeOf(rows.at(-1)!), 'ok', `delivery ${d.id} ends with its success`);
    assert.equal(rows.filter((r) => r.status === 'SUCCEEDED').length, 1, `delivery ${d.id} succeeded exactly once`);
    assert.equal(d.attemptCount, rows.length, 'the delivery counts its attempts');
  }
  const durations = (await prisma.deliveryAttempt.findMany({ where: { status: 'SUCCEEDED' }, select: { durationMs: true } }))
    .map((a) => a.durationMs)
    .sort((a, b) => a - b);
  const pct = (p: number) => durations[Math.floor(p * (durations.length - 1))];
  t.diagnostic(`200 answers took p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms (timeout ${TIMEOUT_MS} ms)`);
  t.diagnostic(
    `requests by outcome: ${JSON.stringify(totals)}; ${attempts.length} attempt rows; ` +
      `${lateAnswers} requests the receiver got to only after the sender's timeout`,
  );
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} deliveries whose ledger differs from what the receiver saw`);
  assert.equal(
    attempts.length,
    Object.values(totals).reduce((n, k) => n + k, 0),
    'one attempt row per request',
  );
  // The faults really happened, in roughly the proportions asked for.
  for (const o of ['http500', 'reset', 'timeout']) assert.ok(totals[o] > 300, `${o}: ${totals[o]}`);
});
