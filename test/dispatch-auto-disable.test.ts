// Auto-disable: AUTO_DISABLE_AFTER consecutive failures (with AUTO_DISABLE_WINDOW
// 0: as soon as they open the circuit) turn a webhook to
// TOO_MANY_ERRORS, 410 Gone stops it at once, both emit webhook.state_changed,
// a webhook that is off gets no new deliveries and its pending ones are
// paused, and re-activating it resumes them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { settle, waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    AUTO_DISABLE_AFTER: '3',
    // Off as soon as the circuit opens (after 3 failures), not after it has stayed open a while.
    AUTO_DISABLE_WINDOW: '0',
    // Retries after 0.2 s and 0.05 s, then one after 30 s, so a delivery is
    // still PENDING when its webhook is turned off after 3 failures.
    RETRY_SCHEDULE: '0.2,0.05,30',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  for (const t of ['order.created', 'order.shipped', 'order.paid']) await createEventType(gql, t);
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

async function receiver(status: number): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  r.respond((_req, _i, res) => {
    res.writeHead(status).end(`answered ${status}`);
  });
  return r;
}

async function stateChangedEvents(webhookId: string) {
  const res = await gql(`query { events(first: 100, type: "webhook.state_changed") { nodes { id type payload createdAt } } }`);
  assert.deepEqual(res.errors, undefined);
  return (res.data.events.nodes as { payload: any }[]).filter((e) => e.payload.webhook.id === webhookId);
}

async function setActive(id: string, active: boolean) {
  const res = await gql(
    `mutation($id: ID!, $active: Boolean!) { setWebhookActive(id: $id, active: $active) { webhook { id state stateReason } userErrors { message } } }`,
    { id, active },
  );
  assert.deepEqual(res.errors, undefined);
  assert.deepEqual(res.data.setWebhookActive.userErrors, []);
  return res.data.setWebhookActive.webhook;
}

test('consecutive failures make the webhook TOO_MANY_ERRORS; re-activation resumes its paused deliveries', async () => {
  const r = await receiver(500);
  const { id } = await createWebhook(gql, { name: 'failing', targetUrl: r.url, events: ['order.created'] });
  const first = await publish(gql, 'order.created', { order: 1 });
  assert.equal(first.deliveryCount, 1);

  const off = await waitUntil(async () => {
    const v = await webhookView(gql, id);
    return v.state === 'TOO_MANY_ERRORS' ? v : null;
  }, 'the webhook to be auto-disabled');
  assert.equal(off.stateReason, 'Disabled after 3 consecutive failed deliveries; last: HTTP 500');
  assert.match(off.stateReason!, /\b3\b/);
  assert.match(off.stateReason!, /HTTP 500/);
  assert.equal(off.stats.consecutiveFailures, 3);
  assert.equal(r.received.length, 3);

  const changes = await waitUntil(async () => {
    const e = await stateChangedEvents(id);
    return e.length ? e : null;
  }, 'a webhook.state_changed event');
  assert.equal(changes.length, 1);
  assert.equal(changes[0].payload.webhook.state, 'TOO_MANY_ERRORS');
  assert.equal(changes[0].payload.previousState, 'ACTIVE');
  assert.equal(changes[0].payload.webhook.stateReason, off.stateReason);

  // Off: new publishes create no delivery for it, and the pending one waits.
  const whileOff = await publish(gql, 'order.created', { order: 2 });
  assert.equal(whileOff.deliveryCount, 0);
  const paused = await webhookView(gql, id);
  assert.equal(paused.deliveries.length, 1);
  assert.equal(paused.deliveries[0].status, 'PENDING');
  assert.equal(paused.deliveries[0].attemptCount, 3);

  // The receiver recovers; turning the webhook on clears TOO_MANY_ERRORS and
  // sends the paused delivery now, not at its old retry time 30 s away.
  r.respond((_req, _i, res) => {
    res.writeHead(200).end('ok');
  });
  const on = await setActive(id, true);
  assert.equal(on.state, 'ACTIVE');
  assert.doesNotMatch(on.stateReason ?? '', /consecutive/);
  const resumed = await waitUntil(async () => {
    const v = await webhookView(gql, id);
    return v.deliveries[0]?.status === 'SUCCEEDED' ? v : null;
  }, 'the paused delivery to be delivered after re-activation');
  assert.equal(r.received.length, 4);
  assert.equal(r.received[3].headers['webhook-id'], first.eventId);
  assert.equal(resumed.deliveries.length, 1, 'the event published while off was not queued');
  assert.equal(resumed.stats.consecutiveFailures, 0);
  assert.equal((await stateChangedEvents(id)).length, 2);
});

test('410 Gone stops the webhook at once, and its delivery stays paused until re-activation', async () => {
  const r = await receiver(410);
  const { id } = await createWebhook(gql, { name: 'gone', targetUrl: r.url, events: ['order.shipped'] });
  const sent = await publish(gql, 'order.shipped', { order: 3 });
  assert.equal(sent.deliveryCount, 1);

  const stopped = await waitUntil(async () => {
    const v = await webhookView(gql, id);
    return v.state === 'STOPPED' ? v : null;
  }, 'the webhook to be stopped');
  assert.match(stopped.stateReason!, /410/);
  const [change] = await waitUntil(async () => {
    const e = await stateChangedEvents(id);
    return e.length ? e : null;
  }, 'a webhook.state_changed event');
  assert.equal(change.payload.webhook.state, 'STOPPED');
  assert.match(change.payload.webhook.stateReason, /410/);

  // The retry would have been due 0.2 s (±20%) after the 410; it is paused instead.
  const [pending] = stopped.deliveries;
  assert.equal(pending.status, 'PENDING');
  await waitUntil(() => Date.now() > Date.parse(pending.nextAttemptAt!) + 300, 'the old retry time to pass');
  await settle(300);
  const still = await webhookView(gql, id);
  assert.equal(r.received.length, 1, 'nothing more is sent to a receiver that answered 410');
  assert.equal(still.attempts.length, 1);
  assert.equal(still.attempts[0].responseStatus, 410);
  assert.equal(still.deliveries[0].status, 'PENDING');
  assert.equal((await publish(gql, 'order.shipped', { order: 4 })).deliveryCount, 0);

  r.respond((_req, _i, res) => {
    res.writeHead(204).end();
  });
  await setActive(id, true);
  await waitUntil(async () => (await webhookView(gql, id)).deliveries[0]?.status === 'SUCCEEDED', 'the paused delivery to be delivered');
  assert.equal(r.received.length, 2);
  assert.equal(r.received[1].headers['webhook-id'], sent.eventId);
});

test('a success in between resets the count, so scattered failures never disable', async () => {
  // Fail, fail, succeed, fail, fail, succeed: never 3 failures in a row.
  const r = await receiver(200);
  r.respond((_req, i, res) => {
    res.writeHead(i % 3 === 2 ? 200 : 500).end();
  });
  const { id } = await createWebhook(gql, { name: 'wobbly', targetUrl: r.url, events: ['order.paid'] });
  await publish(gql, 'order.paid', { order: 5 });
  await waitUntil(async () => (await webhookView(gql, id)).deliveries[0]?.status === 'SUCCEEDED', 'the first delivery');
  await publish(gql, 'order.paid', { order: 6 });
  const v = await waitUntil(async () => {
    const w = await webhookView(gql, id);
    return w.deliveries.length === 2 && w.deliveries.every((d) => d.status === 'SUCCEEDED') ? w : null;
  }, 'the second delivery');
  assert.equal(v.state, 'ACTIVE');
  assert.equal(v.stats.consecutiveFailures, 0);
  assert.equal(r.received.length, 6);
  assert.equal((await stateChangedEvents(id)).length, 0);
});
