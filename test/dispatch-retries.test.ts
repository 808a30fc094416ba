// Retries: failed attempts are retried on RETRY_SCHEDULE, the delivery fails
// for good once the schedule is used up, and Retry-After is honoured within
// 1× to 2× of the scheduled delay.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { createEventType, createWebhook, publish, webhookView, type AttemptRow } from './helpers/dispatch.js';
import { settle, waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];
let child: ServerProcess | null = null;

before(async () => {
  // A fast schedule: an immediate try, then two retries 50 ms (±20%) apart.
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '0.05,0.05' });
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(async () => {
  await child?.kill();
  await app.stop();
  for (const r of receivers) await r.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

const byNumber = (a: AttemptRow, b: AttemptRow) => a.attemptNumber - b.attemptNumber;

test('a receiver that fails twice and then answers 200 gets exactly 3 attempts', async () => {
  const r = await receiver();
  r.respond((_req, i, res) => {
    res.writeHead(i < 2 ? 500 : 200).end(i < 2 ? 'not yet' : 'ok');
  });
  await createEventType(gql, 'retry.flaky');
  const { id } = await createWebhook(gql, { name: 'flaky', targetUrl: r.url, events: ['retry.flaky'] });
  const { eventId } = await publish(gql, 'retry.flaky', { n: 1 });

  await waitUntil(async () => {
    const v = await webhookView(gql, id);
    return v.deliveries[0]?.status === 'SUCCEEDED' && v.attempts.length >= 3;
  }, 'the delivery to succeed');
  // Nothing further is sent after the success.
  await settle(300);
  const final = await webhookView(gql, id);
  assert.equal(r.received.length, 3);
  assert.equal(final.attempts.length, 3);
  const attempts = [...final.attempts].sort(byNumber);
  assert.deepEqual(
    attempts.map((a) => a.attemptNumber),
    [1, 2, 3],
  );
  assert.deepEqual(
    attempts.map((a) => a.status),
    ['FAILED', 'FAILED', 'SUCCEEDED'],
  );
  assert.deepEqual(
    attempts.map((a) => a.trigger),
    ['SCHEDULED', 'SCHEDULED', 'SCHEDULED'],
  );
  assert.deepEqual(
    attempts.map((a) => a.responseStatus),
    [500, 500, 200],
  );
  assert.equal(attempts[0].error, 'HTTP 500');
  assert.equal(attempts[2].error, null);
  assert.ok(attempts[0].nextAttemptAt && attempts[1].nextAttemptAt, 'failed attempts record when the next one is due');
  assert.equal(attempts[2].nextAttemptAt, null);
  // The retry never ran before the time its predecessor scheduled.
  for (const k of [1, 2]) {
    assert.ok(Date.parse(attempts[k].createdAt) >= Date.parse(attempts[k - 1].nextAttemptAt!), `attempt ${k + 1} ran early`);
  }
  const delivery = final.deliveries[0];
  assert.equal(delivery.status, 'SUCCEEDED');
  assert.equal(delivery.attemptCount, 3);
  assert.equal(delivery.event.id, eventId);
  // Every try carries the same webhook-id, so receivers can deduplicate.
  assert.deepEqual(new Set(r.received.map((x) => x.headers['webhook-id'])), new Set([eventId]));
  assert.equal(final.stats.succeededCount, 1);
  assert.equal(final.stats.consecutiveFailures, 0);
});

test('when the schedule is used up the delivery is FAILED for good after 3 attempts', async () => {
  const r = await receiver();
  r.respond((_req, _i, res) => {
    res.writeHead(503).end('down');
  });
  await createEventType(gql, 'retry.down');
  const { id } = await createWebhook(gql, { name: 'down', targetUrl: r.url, events: ['retry.down'] });
  await publish(gql, 'retry.down', {});

  await waitUntil(async () => (await webhookView(gql, id)).deliveries[0]?.status === 'FAILED', 'the delivery to fail');
  // Long enough for several more 50 ms retries, had any been scheduled.
  await settle(500);
  const v = await webhookView(gql, id);
  assert.equal(r.received.length, 3);
  const attempts = [...v.attempts].sort(byNumber);
  assert.deepEqual(
    attempts.map((a) => a.attemptNumber),
    [1, 2, 3],
  );
  assert.ok(attempts.every((a) => a.status === 'FAILED' && a.error === 'HTTP 503'));
  assert.equal(attempts[2].nextAttemptAt, null, 'the last attempt schedules nothing');
  const [d] = v.deliveries;
  assert.equal(d.status, 'FAILED');
  assert.equal(d.attemptCount, 3);
  assert.equal(d.nextAttemptAt, null);
  assert.equal(v.stats.failedCount, 1);
  assert.equal(v.stats.pendingCount, 0);
  assert.equal(v.stats.consecutiveFailures, 3);
});

test('Retry-After is honoured, clamped between 1x and 2x the scheduled delay', async () => {
  // This needs a schedule of whole seconds, so it runs its own server process.
  const r = await receiver();
  r.respond((_req, i, res) => {
    if (i === 0) res.writeHead(503, { 'retry-after': '2' }).end('busy');
    else if (i === 1) res.writeHead(429, { 'retry-after': '3600' }).end('very busy');
    else res.writeHead(200).end('ok');
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'hookline-retry-after-'));
  const key = 'retry-after-bootstrap-key-0000';
  child = await spawnServer({
    DATABASE_URL: `file:${join(dataDir, 'hookline.db')}`,
    DATA_DIR: dataDir,
    BOOTSTRAP_API_KEY: key,
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '1,1',
    WORKER_POLL_MS: '20',
  });
  const cgql = client(child.url, key);
  await createEventType(cgql, 'retry.later');
  const { id } = await createWebhook(cgql, { name: 'busy', targetUrl: r.url, events: ['retry.later'] });
  await publish(cgql, 'retry.later', {});

  const v = await waitUntil(async () => {
    const w = await webhookView(cgql, id);
    return w.deliveries[0]?.status === 'SUCCEEDED' ? w : null;
  }, 'the delivery to succeed after two Retry-After answers');
  const attempts = [...v.attempts].sort(byNumber);
  assert.deepEqual(
    attempts.map((a) => a.responseStatus),
    [503, 429, 200],
  );
  const gap = (a: AttemptRow) => Date.parse(a.nextAttemptAt!) - Date.parse(a.createdAt);
  const scheduled = 1000;
  // Retry-After: 2 lies within [1 s, 2 s], so it is used as given.
  assert.ok(gap(attempts[0]) >= 2000, `gap after Retry-After: 2 was ${gap(attempts[0])} ms`);
  assert.ok(gap(attempts[0]) <= 2 * scheduled, `gap after Retry-After: 2 was ${gap(attempts[0])} ms`);
  // Retry-After: 3600 is clamped to twice the scheduled delay.
  assert.ok(gap(attempts[1]) >= scheduled && gap(attempts[1]) <= 2 * scheduled, `clamped gap was ${gap(attempts[1])} ms`);
  // And the retries really waited for those times.
  assert.ok(Date.parse(attempts[1].createdAt) >= Date.parse(attempts[0].nextAttemptAt!));
  assert.ok(Date.parse(attempts[2].createdAt) >= Date.parse(attempts[1].nextAttemptAt!));
});
