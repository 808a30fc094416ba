// Operations on the delivery log: idempotency keys, ping, redeliver, recover,
// the read queries and stats, and publishEvent's validation and permissions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { ATTEMPT_FIELDS, createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { settle, waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '0.05,0.05', MAX_PAYLOAD_BYTES: '1024' });
  gql = client(app.url, BOOTSTRAP_KEY);
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

/** A receiver answering `status` until told otherwise. */
async function receiver(status = 200): Promise<Receiver & { setStatus(s: number): void }> {
  const r = await startReceiver();
  receivers.push(r);
  let current = status;
  r.respond((_req, _i, res) => {
    res.writeHead(current).end(`answered ${current}`);
  });
  return Object.assign(r, { setStatus: (s: number) => (current = s) });
}

async function deliveryOf(webhookId: string, eventId: string) {
  const v = await webhookView(gql, webhookId);
  return v.deliveries.find((d) => d.event.id === eventId) ?? null;
}

async function waitForStatus(webhookId: string, eventId: string, status: string) {
  return waitUntil(async () => {
    const d = await deliveryOf(webhookId, eventId);
    return d?.status === status ? d : null;
  }, `delivery of ${eventId} to be ${status}`);
}

async function redeliver(deliveryId: string) {
  const res = await gql(
    `mutation($id: ID!) { redeliver(deliveryId: $id) { attempt { ${ATTEMPT_FIELDS} } userErrors { code field message } } }`,
    { id: deliveryId },
  );
  assert.deepEqual(res.errors, undefined);
  return res.data.redeliver;
}

test('the same idempotency key returns the first event and creates no new deliveries', async () => {
  const r = await receiver();
  await createEventType(gql, 'invoice.sent');
  const { id } = await createWebhook(gql, { name: 'invoices', targetUrl: r.url, events: ['invoice.sent'] });
  const first = await publish(gql, 'invoice.sent', { invoice: 1 }, 'invoice-1');
  assert.equal(first.duplicate, false);
  assert.equal(first.deliveryCount, 1);
  const again = await publish(gql, 'invoice.sent', { invoice: 1, changed: true }, 'invoice-1');
  assert.equal(again.eventId, first.eventId);
  assert.equal(again.duplicate, true);
  await waitForStatus(id, first.eventId, 'SUCCEEDED');
  await settle(300);
  const v = await webhookView(gql, id);
  assert.equal(v.deliveries.length, 1);
  assert.equal(r.received.length, 1);
  assert.deepEqual(r.received[0].json.data, { invoice: 1 });
  // A different key is a different event.
  const other = await publish(gql, 'invoice.sent', { invoice: 2 }, 'invoice-2');
  assert.notEqual(other.eventId, first.eventId);
  assert.equal(other.duplicate, false);
  // Keys are per account: another tenant may use the same one.
  const tenant = await createTenant('idempotency-tenant');
  const tgql = client(app.url, tenant.apiKey);
  await createEventType(tgql, 'invoice.sent');
  const theirs = await publish(tgql, 'invoice.sent', { invoice: 1 }, 'invoice-1');
  assert.notEqual(theirs.eventId, first.eventId);
  assert.equal(theirs.duplicate, false);
  const ev = await gql(`query($id: ID!) { event(id: $id) { id idempotencyKey payload } }`, { id: first.eventId });
  assert.deepEqual(ev.data.event, { id: first.eventId, idempotencyKey: 'invoice-1', payload: { invoice: 1 } });
});

test('an idempotency key is remembered for 24 hours, then may be used again', async () => {
  const r = await receiver();
  await createEventType(gql, 'invoice.expiring');
  const { id } = await createWebhook(gql, { name: 'expiring', targetUrl: r.url, events: ['invoice.expiring'] });
  const first = await publish(gql, 'invoice.expiring', { n: 1 }, 'expiring-key');
  const clock = (await import('./helpers/app.js')).testClock();
  try {
    // 23 hours later: still a duplicate.
    clock.advance(23 * 3600_000);
    const within = await publish(gql, 'invoice.expiring', { n: 2 }, 'expiring-key');
    assert.equal(within.eventId, first.eventId);
    assert.equal(within.duplicate, true);
    // 25 hours later: the key is free again and makes a new event, which the
    // delivery thread (on the same moved clock) delivers.
    clock.advance(2 * 3600_000);
    const later = await publish(gql, 'invoice.expiring', { n: 3 }, 'expiring-key');
    assert.notEqual(later.eventId, first.eventId);
    assert.equal(later.duplicate, false);
    assert.equal(later.deliveryCount, 1);
    await waitForStatus(id, later.eventId, 'SUCCEEDED');
    const ev = await gql(`query($id: ID!) { event(id: $id) { idempotencyKey } }`, { id: later.eventId });
    assert.equal(ev.data.event.idempotencyKey, 'expiring-key');
  } finally {
    clock.reset();
  }
});

test('concurrent publishes with one idempotency key make one event', async () => {
  const r = await receiver();
  await createEventType(gql, 'invoice.raced');
  const { id } = await createWebhook(gql, { name: 'raced', targetUrl: r.url, events: ['invoice.raced'] });
  const results = await Promise.all(Array.from({ length: 8 }, () => publish(gql, 'invoice.raced', { n: 1 }, 'raced-key')));
  assert.equal(new Set(results.map((x) => x.eventId)).size, 1);
  assert.equal(results.filter((x) => !x.duplicate).length, 1);
  await waitForStatus(id, results[0].eventId, 'SUCCEEDED');
  await settle(300);
  assert.equal((await webhookView(gql, id)).deliveries.length, 1);
  assert.equal(r.received.length, 1);
});

test('pingWebhook sends webhook.ping to that webhook alone and returns the PING attempt', async () => {
  const r = await receiver();
  const bystander = await receiver();
  await createEventType(gql, 'ping.target');
  const { id } = await createWebhook(gql, { name: 'ping me', targetUrl: r.url, events: ['ping.target'] });
  await createWebhook(gql, { name: 'bystander', targetUrl: bystander.url, events: ['*'] });
  const res = await gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { ${ATTEMPT_FIELDS} } userErrors { code message } } }`, {
    id,
  });
  assert.deepEqual(res.errors, undefined);
  const { attempt, userErrors } = res.data.pingWebhook;
  assert.deepEqual(userErrors, []);
  assert.equal(attempt.trigger, 'PING');
  assert.equal(attempt.status, 'SUCCEEDED');
  assert.equal(attempt.attemptNumber, 1);
  assert.equal(attempt.webhookId, id);
  assert.equal(attempt.responseStatus, 200);
  // The attempt is answered after the request was received and recorded.
  assert.equal(r.received.length, 1);
  assert.equal(r.received[0].json.type, 'webhook.ping');
  assert.equal(r.received[0].json.webhook.id, id);
  const stored = await gql(`query($id: ID!) { deliveryAttempt(id: $id) { id trigger status deliveryId } }`, { id: attempt.id });
  assert.deepEqual(stored.data.deliveryAttempt, { id: attempt.id, trigger: 'PING', status: 'SUCCEEDED', deliveryId: attempt.deliveryId });
  await settle(300);
  assert.equal(bystander.received.filter((x) => x.json?.type === 'webhook.ping').length, 0, 'the ping goes to one webhook only');

  // A failed ping is recorded as failed and is not retried.
  r.setStatus(500);
  const failed = await gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { ${ATTEMPT_FIELDS} } userErrors { code } } }`, { id });
  assert.equal(failed.data.pingWebhook.attempt.status, 'FAILED');
  assert.equal(failed.data.pingWebhook.attempt.error, 'HTTP 500');
  await settle(300);
  assert.equal(r.received.length, 2);

  const missing = await gql(`mutation { pingWebhook(id: "nope") { attempt { id } userErrors { code field } } }`);
  assert.deepEqual(missing.data.pingWebhook, { attempt: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'] }] });
});

test('redeliver makes a MANUAL attempt of a SUCCEEDED and of a FAILED delivery; a failed manual try is not retried', async () => {
  const r = await receiver(200);
  await createEventType(gql, 'redeliver.me');
  const { id } = await createWebhook(gql, { name: 'redeliver', targetUrl: r.url, events: ['redeliver.me'] });

  // A delivery that succeeded can be sent again.
  const ok = await publish(gql, 'redeliver.me', { n: 1 });
  const okDelivery = await waitForStatus(id, ok.eventId, 'SUCCEEDED');
  const again = await redeliver(okDelivery.id);
  assert.deepEqual(again.userErrors, []);
  assert.equal(again.attempt.trigger, 'MANUAL');
  assert.equal(again.attempt.status, 'SUCCEEDED');
  assert.equal(again.attempt.attemptNumber, 2);
  assert.equal(again.attempt.deliveryId, okDelivery.id);
  assert.equal(r.received.length, 2);
  assert.equal(r.received[1].headers['webhook-id'], ok.eventId, 'a redelivery keeps the event id');

  // A delivery that failed for good: a failing manual try leaves it FAILED, unscheduled.
  r.setStatus(500);
  const bad = await publish(gql, 'redeliver.me', { n: 2 });
  const failed = await waitForStatus(id, bad.eventId, 'FAILED');
  assert.equal(failed.attemptCount, 3);
  const before = r.received.length;
  const manualFail = await redeliver(failed.id);
  assert.equal(manualFail.attempt.trigger, 'MANUAL');
  assert.equal(manualFail.attempt.status, 'FAILED');
  assert.equal(manualFail.attempt.attemptNumber, 4);
  assert.equal(manualFail.attempt.nextAttemptAt, null);
  await settle(400);
  assert.equal(r.received.length, before + 1, 'a failed manual attempt is never retried');
  const stillFailed = await deliveryOf(id, bad.eventId);
  assert.equal(stillFailed!.status, 'FAILED');
  assert.equal(stillFailed!.nextAttemptAt, null);

  // A failing manual try of a SUCCEEDED delivery does not undo the success.
  const okAfterFail = await redeliver(okDelivery.id);
  assert.equal(okAfterFail.attempt.status, 'FAILED');
  assert.equal((await deliveryOf(id, ok.eventId))!.status, 'SUCCEEDED');

  // Once the receiver is back, a manual try turns FAILED into SUCCEEDED.
  r.setStatus(200);
  const manualOk = await redeliver(failed.id);
  assert.equal(manualOk.attempt.status, 'SUCCEEDED');
  assert.equal(manualOk.attempt.trigger, 'MANUAL');
  assert.equal((await deliveryOf(id, bad.eventId))!.status, 'SUCCEEDED');

  const missing = await redeliver('no-such-delivery');
  assert.deepEqual(
    missing.userErrors.map((e: { code: string }) => e.code),
    ['NOT_FOUND'],
  );
});

test('recoverWebhook requeues deliveries that failed for good since a time, and they are delivered', async () => {
  const r = await receiver(500);
  await createEventType(gql, 'recover.me');
  const { id } = await createWebhook(gql, { name: 'recover', targetUrl: r.url, events: ['recover.me'] });
  const old = await publish(gql, 'recover.me', { n: 'old' });
  const oldFailed = await waitForStatus(id, old.eventId, 'FAILED');
  const since = new Date(Date.parse(oldFailed.lastAttemptAt!) + 1).toISOString();
  const recent = await waitUntil(async () => {
    // Publish after `since` by the server's clock, which wrote lastAttemptAt.
    return Date.now() > Date.parse(since) ? publish(gql, 'recover.me', { n: 'recent' }) : null;
  }, 'the clock to pass `since`');
  await waitForStatus(id, recent.eventId, 'FAILED');

  r.setStatus(200);
  const res = await gql(
    `mutation($id: ID!, $since: DateTime!) { recoverWebhook(id: $id, since: $since) { requeuedCount userErrors { code field message } } }`,
    { id, since },
  );
  assert.deepEqual(res.errors, undefined);
  assert.deepEqual(res.data.recoverWebhook, { requeuedCount: 1, userErrors: [] });
  const delivered = await waitForStatus(id, recent.eventId, 'SUCCEEDED');
  assert.equal(delivered.attemptCount, 4);
  assert.equal((await deliveryOf(id, old.eventId))!.status, 'FAILED', 'failed before `since`: left alone');
  assert.equal(r.received.at(-1)!.headers['webhook-id'], recent.eventId);

  // An earlier `since` takes in the older one too; SUCCEEDED ones are never requeued.
  const all = await gql(`mutation($id: ID!, $since: DateTime!) { recoverWebhook(id: $id, since: $since) { requeuedCount } }`, {
    id,
    since: new Date(Date.parse(since) - 3_600_000).toISOString(),
  });
  assert.equal(all.data.recoverWebhook.requeuedCount, 1);
  await waitForStatus(id, old.eventId, 'SUCCEEDED');

  const future = await gql(
    `mutation($id: ID!, $since: DateTime!) { recoverWebhook(id: $id, since: $since) { requeuedCount userErrors { code field } } }`,
    {
      id,
      since: new Date(Date.now() + 3_600_000).toISOString(),
    },
  );
  assert.deepEqual(future.data.recoverWebhook.userErrors, [{ code: 'INVALID', field: ['since'] }]);
});

test('events, deliveries and attempts can be queried, filtered and paged; stats count them', async () => {
  // 2 succeed; the third fails for good (3 attempts).
  const r = await receiver(200);
  await createEventType(gql, 'query.me');
  const { id } = await createWebhook(gql, { name: 'queried', targetUrl: r.url, events: ['query.me'] });
  const a = await publish(gql, 'query.me', { n: 1 });
  const b = await publish(gql, 'query.me', { n: 2 });
  await waitForStatus(id, a.eventId, 'SUCCEEDED');
  await waitForStatus(id, b.eventId, 'SUCCEEDED');
  r.setStatus(500);
  const c = await publish(gql, 'query.me', { n: 3 });
  await waitForStatus(id, c.eventId, 'FAILED');

  // events: newest first, filtered by type, paged with cursors.
  const page1 = await gql(
    `query { events(first: 2, type: "query.me") { totalCount nodes { id type payload } pageInfo { hasNextPage endCursor } } }`,
  );
  assert.deepEqual(page1.errors, undefined);
  assert.equal(page1.data.events.totalCount, 3);
  assert.deepEqual(
    page1.data.events.nodes.map((e: { id: string }) => e.id),
    [c.eventId, b.eventId],
  );
  assert.equal(page1.data.events.pageInfo.hasNextPage, true);
  const page2 = await gql(
    `query($after: String) { events(first: 2, type: "query.me", after: $after) { nodes { id payload } pageInfo { hasNextPage } } }`,
    {
      after: page1.data.events.pageInfo.endCursor,
    },
  );
  assert.deepEqual(page2.data.events.nodes, [{ id: a.eventId, payload: { n: 1 } }]);
  assert.equal(page2.data.events.pageInfo.hasNextPage, false);

  const one = await gql(`query($id: ID!) { event(id: $id) { id type payload } }`, { id: b.eventId });
  assert.deepEqual(one.data.event, { id: b.eventId, type: 'query.me', payload: { n: 2 } });

  // Webhook.deliveries and Webhook.deliveryAttempts with status filters.
  const lists = await gql(
    `query($id: ID!) { webhook(id: $id) {
      succeeded: deliveries(status: SUCCEEDED) { totalCount nodes { id event { id } } }
      failed: deliveries(status: FAILED) { totalCount nodes { id attemptCount } }
      failedAttempts: deliveryAttempts(status: FAILED) { totalCount nodes { id status error } }
      okAttempts: deliveryAttempts(status: SUCCEEDED) { totalCount }
    } }`,
    { id },
  );
  assert.deepEqual(lists.errors, undefined);
  const w = lists.data.webhook;
  assert.equal(w.succeeded.totalCount, 2);
  assert.deepEqual(new Set(w.succeeded.nodes.map((d: any) => d.event.id)), new Set([a.eventId, b.eventId]));
  assert.equal(w.failed.totalCount, 1);
  assert.equal(w.failed.nodes[0].attemptCount, 3);
  assert.equal(w.failedAttempts.totalCount, 3);
  assert.ok(w.failedAttempts.nodes.every((x: any) => x.status === 'FAILED' && x.error === 'HTTP 500'));
  assert.equal(w.okAttempts.totalCount, 2);

  // delivery(id) with its attempts, and deliveryAttempt(id).
  const failedId = w.failed.nodes[0].id;
  const d = await gql(
    `query($id: ID!) { delivery(id: $id) { id status webhookId event { id } attempts(first: 2) { totalCount nodes { id attemptNumber } pageInfo { hasNextPage } } } }`,
    { id: failedId },
  );
  assert.deepEqual(d.errors, undefined);
  assert.equal(d.data.delivery.status, 'FAILED');
  assert.equal(d.data.delivery.webhookId, id);
  assert.equal(d.data.delivery.event.id, c.eventId);
  assert.equal(d.data.delivery.attempts.totalCount, 3);
  assert.deepEqual(
    d.data.delivery.attempts.nodes.map((x: any) => x.attemptNumber),
    [3, 2],
  );
  assert.equal(d.data.delivery.attempts.pageInfo.hasNextPage, true);
  const attemptId = d.data.delivery.attempts.nodes[0].id;
  const at = await gql(
    `query($id: ID!) { deliveryAttempt(id: $id) { id attemptNumber status responseStatus requestUrl requestBody requestHeaders } }`,
    { id: attemptId },
  );
  assert.equal(at.data.deliveryAttempt.attemptNumber, 3);
  assert.equal(at.data.deliveryAttempt.responseStatus, 500);
  assert.equal(at.data.deliveryAttempt.requestUrl, r.url);
  assert.equal(JSON.parse(at.data.deliveryAttempt.requestBody).id, c.eventId);
  assert.equal(at.data.deliveryAttempt.requestHeaders['webhook-id'], c.eventId);

  const v = await webhookView(gql, id);
  assert.equal(v.stats.succeededCount, 2);
  assert.equal(v.stats.failedCount, 1);
  assert.equal(v.stats.pendingCount, 0);
  assert.equal(v.stats.consecutiveFailures, 3);
  assert.ok(v.stats.lastAttemptAt && v.stats.lastSuccessAt);
  assert.ok(Date.parse(v.stats.lastAttemptAt) > Date.parse(v.stats.lastSuccessAt));
  const newest = v.attempts.at(-1)!;
  assert.equal(v.stats.lastAttemptAt, newest.createdAt);

  // Another account sees none of it.
  const tenant = await createTenant('query-tenant');
  const tgql = client(app.url, tenant.apiKey);
  const theirs = await tgql(
    `query($e: ID!, $d: ID!, $a: ID!, $w: ID!) { event(id: $e) { id } delivery(id: $d) { id } deliveryAttempt(id: $a) { id } webhook(id: $w) { id } events { totalCount } }`,
    { e: a.eventId, d: failedId, a: attemptId, w: id },
  );
  assert.deepEqual(theirs.errors, undefined);
  assert.deepEqual(theirs.data, { event: null, delivery: null, deliveryAttempt: null, webhook: null, events: { totalCount: 0 } });
});

test('bad publish input is refused with typed userErrors, and nothing is created', async () => {
  await createEventType(gql, 'valid.type');
  const before = (await gql(`query { events { totalCount } }`)).data.events.totalCount;
  const attempt = async (input: Record<string, unknown>) => {
    const res = await gql(
      `mutation($input: PublishEventInput!) { publishEvent(input: $input) { event { id } deliveryCount userErrors { code field message } } }`,
      { input },
    );
    assert.deepEqual(res.errors, undefined);
    assert.equal(res.data.publishEvent.event, null);
    assert.equal(res.data.publishEvent.deliveryCount, 0);
    return res.data.publishEvent.userErrors as { code: string; field: string[]; message: string }[];
  };
  const unknown = await attempt({ type: 'no.such.type', payload: {} });
  assert.deepEqual(
    unknown.map((e) => [e.code, e.field]),
    [['INVALID', ['input', 'type']]],
  );
  assert.match(unknown[0].message, /no\.such\.type/);
  for (const payload of [[1, 2], 'text', 42, true]) {
    const errs = await attempt({ type: 'valid.type', payload });
    assert.deepEqual(
      errs.map((e) => [e.code, e.field]),
      [['INVALID', ['input', 'payload']]],
      `payload ${JSON.stringify(payload)}`,
    );
  }
  const big = await attempt({ type: 'valid.type', payload: { blob: 'x'.repeat(2000) } });
  assert.deepEqual(
    big.map((e) => [e.code, e.field]),
    [['INVALID', ['input', 'payload']]],
  );
  assert.match(big[0].message, /1024/);
  const badKey = await attempt({ type: 'valid.type', payload: {}, idempotencyKey: '' });
  assert.deepEqual(
    badKey.map((e) => [e.code, e.field]),
    [['INVALID', ['input', 'idempotencyKey']]],
  );
  // Just under the limit is fine.
  const fits = await publish(gql, 'valid.type', { blob: 'x'.repeat(1000) });
  assert.ok(fits.eventId);
  const after = (await gql(`query { events { totalCount } }`)).data.events.totalCount;
  assert.equal(after, before + 1);
});

test('a MEMBER can read the delivery log but cannot publish, ping, redeliver or recover', async () => {
  const assoc = await gql(
    `mutation { createAssociate(input: { name: "Reader", email: "reader@example.com", role: MEMBER }) { associate { id } userErrors { message } } }`,
  );
  assert.deepEqual(assoc.data.createAssociate.userErrors, []);
  const key = await gql(
    `mutation($a: ID!) { createApiKey(input: { name: "reader key", associateId: $a }) { key userErrors { message } } }`,
    {
      a: assoc.data.createAssociate.associate.id,
    },
  );
  assert.deepEqual(key.data.createApiKey.userErrors, []);
  const member = client(app.url, key.data.createApiKey.key);

  const r = await receiver();
  await createEventType(gql, 'member.test');
  const { id } = await createWebhook(gql, { name: 'member-visible', targetUrl: r.url, events: ['member.test'] });
  const ev = await publish(gql, 'member.test', {});
  const delivery = await waitForStatus(id, ev.eventId, 'SUCCEEDED');

  const pub = await member(`mutation { publishEvent(input: { type: "member.test", payload: {} }) { event { id } userErrors { code } } }`);
  assert.deepEqual(pub.errors, undefined);
  assert.deepEqual(pub.data.publishEvent, { event: null, userErrors: [{ code: 'FORBIDDEN' }] });
  const ping = await member(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } userErrors { code } } }`, { id });
  assert.deepEqual(ping.data.pingWebhook.userErrors, [{ code: 'FORBIDDEN' }]);
  const re = await member(`mutation($id: ID!) { redeliver(deliveryId: $id) { attempt { id } userErrors { code } } }`, { id: delivery.id });
  assert.deepEqual(re.data.redeliver.userErrors, [{ code: 'FORBIDDEN' }]);
  const rec = await member(`mutation($id: ID!) { recoverWebhook(id: $id, since: "2020-01-01T00:00:00Z") { userErrors { code } } }`, { id });
  assert.deepEqual(rec.data.recoverWebhook.userErrors, [{ code: 'FORBIDDEN' }]);
  assert.equal(r.received.length, 1, "nothing was sent on a MEMBER's behalf");

  const read = await member(`query($id: ID!) { event(id: $id) { id } delivery(id: "${delivery.id}") { status } }`, { id: ev.eventId });
  assert.deepEqual(read.data, { event: { id: ev.eventId }, delivery: { status: 'SUCCEEDED' } });
});
