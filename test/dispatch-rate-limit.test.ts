// Rate limit per webhook, measured at a real receiver: a webhook with
// rateLimit 10 never gets more than 10 requests in any 1-second window,
// while its backlog waits unclaimed, holding none of the slots another
// webhook of the same account needs. (Two instances on PostgreSQL:
// test/dispatch-policy-cluster.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, testDb, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { startThreadReceiver } from './helpers/threadReceiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';
import { densestWindow } from './helpers/windows.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    // Few slots: a backlog that held them would starve the other webhook.
    DELIVERY_CONCURRENCY: '4',
    ACCOUNT_CONCURRENCY: '2',
    WORKER_POLL_MS: '250',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  await createEventType(gql, 'rate.limited');
  await createEventType(gql, 'rate.free');
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

/** Rate-limited webhooks' receivers note arrivals on a thread of their own (see threadReceiver.ts). */
async function receiver(timing = false): Promise<Receiver> {
  const r = timing ? await startThreadReceiver() : await startReceiver();
  receivers.push(r);
  return r;
}

test('rateLimit 10: at most 10 requests in any 1-second window at the receiver, close to 10 per second, none lost', async () => {
  for (let i = 0; i < 45; i++) await publish(gql, 'rate.limited', { i });
  const r = await receiver(true);
  const { id } = await createWebhook(gql, { name: 'limited', targetUrl: r.url, events: ['rate.limited'], rateLimit: 10 });
  const read = await gql(`query($id: ID!) { webhook(id: $id) { rateLimit } }`, { id });
  assert.equal(read.data.webhook.rateLimit, 10);

  const other = await receiver();
  await createWebhook(gql, { name: 'unlimited', targetUrl: other.url, events: ['rate.free'] });

  // A backlog of 45 appears at once: a replay of earlier events (published
  // before the webhook existed), so the API does little during the measurement.
  const started = Date.now();
  const res = await gql(
    `mutation($w: ID!) { replayEvents(filter: { types: ["rate.limited"] }, webhookId: $w) { bulkOperation { id } userErrors { message } } }`,
    { w: id },
  );
  assert.deepEqual(res.data.replayEvents.userErrors, []);

  // Meanwhile the same account's other webhook is served at once: the backlog holds no slot.
  for (let i = 0; i < 5; i++) {
    const sent = Date.now();
    await publish(gql, 'rate.free', { i });
    await other.waitFor(i + 1, 5_000);
    const waited = other.received[i].at - sent;
    assert.ok(waited < 1_000, `the other webhook's delivery ${i} took ${waited} ms`);
  }
  assert.ok(r.received.length < 40, 'the backlog was still being worked through');

  await r.waitFor(45, 20_000);
  const times = r.received.map((x) => x.at);
  const densest = densestWindow(times, 1000);
  assert.ok(densest <= 10, `${densest} requests within one second`);
  // Paced, not starved: 45 at about 9 a second take about 5 s, and some second is (nearly) full.
  const took = Math.max(...times) - started;
  assert.ok(took >= 3_900, `45 requests in ${took} ms`);
  assert.ok(took < 10_000, `45 requests took ${took} ms`);
  assert.ok(densest >= 8, `at most ${densest} in a second`);
  assert.equal(new Set(r.received.map((x) => x.headers['webhook-id'])).size, 45);
});

test('the limit can be removed; without one the webhook is claimed by the batch claim again', async () => {
  const r = await receiver(true);
  const { id } = await createWebhook(gql, { name: 'limited 2', targetUrl: r.url, events: ['rate.limited'], rateLimit: 2 });
  await Promise.all(Array.from({ length: 6 }, (_, i) => publish(gql, 'rate.limited', { i })));
  await r.waitFor(3, 5_000);
  assert.ok(densestWindow(r.received.map((x) => x.at)) <= 2);
  const res = await gql(
    `mutation($id: ID!) { updateWebhook(id: $id, input: { rateLimit: null }) { webhook { rateLimit } userErrors { message } } }`,
    {
      id,
    },
  );
  assert.equal(res.data.updateWebhook.webhook.rateLimit, null);
  const row = await testDb().prisma.webhook.findUniqueOrThrow({ where: { id } });
  assert.equal(row.gated, false);
  // The rest of the backlog (and more) now goes out as fast as the receiver takes it.
  const sent = Date.now();
  await Promise.all(Array.from({ length: 10 }, (_, i) => publish(gql, 'rate.limited', { i })));
  await waitUntil(() => r.received.length >= 16, 'every delivery');
  assert.ok(Date.now() - sent < 3_000, 'no longer paced');
});
