// Bulk operations: retryDeliveries requeues exactly the failed deliveries a
// filter matches, replayEvents sends past events to a webhook created after
// them, both in batches with progress over bulkOperationUpdated (graphql-ws)
// and bulkOperation(id), a bulk_operation.finished event at the end, cancel,
// typed errors, ADMIN only, and tenant isolation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { wsCollect } from './helpers/logStream.js';
import { createApiKey, createAssociate } from './helpers/webhooks.js';
import { settle, waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];

before(async () => {
  // Small batches with a pause: an operation over a few dozen rows takes several batches.
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05,0.05',
    BULK_BATCH_SIZE: '7',
    BULK_PAUSE_MS: '50',
    AUTO_DISABLE_AFTER: '1000',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  await createEventType(gql, 'order.created');
  await createEventType(gql, 'order.paid');
  await createEventType(gql, 'order.refunded');
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

const OP = 'id kind status total done failed webhookId filter error createdAt finishedAt cursor';
const ERRORS = 'userErrors { code field message }';

async function receiver(status = 200) {
  const r = await startReceiver();
  receivers.push(r);
  let current = status;
  r.respond((_q, _i, res) => void res.writeHead(current).end(`status ${current}`));
  return Object.assign(r, { setStatus: (s: number) => (current = s) });
}

async function deliveries(g: Gql, filter: Record<string, unknown>) {
  const res = await g(`query($f: DeliveryFilter) { deliveries(first: 100, filter: $f) { totalCount nodes { id status event { id } } } }`, {
    f: filter,
  });
  assert.deepEqual(res.errors, undefined);
  return res.data.deliveries as { totalCount: number; nodes: { id: string; status: string; event: { id: string } }[] };
}

async function bulkOperation(g: Gql, id: string) {
  const res = await g(`query($id: ID!) { bulkOperation(id: $id) { ${OP} } }`, { id });
  assert.deepEqual(res.errors, undefined);
  return res.data.bulkOperation;
}

const untilEnded = (g: Gql, id: string) =>
  waitUntil(async () => {
    const op = await bulkOperation(g, id);
    return op.status !== 'RUNNING' ? op : null;
  }, `bulk operation ${id} to end`);

async function retry(g: Gql, filter: Record<string, unknown>) {
  const res = await g(`mutation($f: DeliveryFilter!) { retryDeliveries(filter: $f) { bulkOperation { ${OP} } ${ERRORS} } }`, { f: filter });
  assert.deepEqual(res.errors, undefined);
  return res.data.retryDeliveries;
}

async function replay(g: Gql, filter: Record<string, unknown>, webhookId: string) {
  const res = await g(
    `mutation($f: ReplayEventsFilter!, $w: ID!) { replayEvents(filter: $f, webhookId: $w) { bulkOperation { ${OP} } ${ERRORS} } }`,
    { f: filter, w: webhookId },
  );
  assert.deepEqual(res.errors, undefined);
  return res.data.replayEvents;
}

test('retryDeliveries requeues exactly the failed deliveries the filter matches, in batches, reporting progress and a finished event', async () => {
  const failingA = await receiver(500);
  const failingB = await receiver(500);
  const follower = await receiver(200);
  const a = await createWebhook(gql, { name: 'retry A', targetUrl: failingA.url, events: ['order.paid'] });
  const b = await createWebhook(gql, { name: 'retry B', targetUrl: failingB.url, events: ['order.paid'] });
  const f = await createWebhook(gql, { name: 'follows bulk ops', targetUrl: follower.url, events: ['bulk_operation.finished'] });
  for (let i = 0; i < 30; i++) await publish(gql, 'order.paid', { i });
  await waitUntil(async () => (await deliveries(gql, { webhookIds: [a.id, b.id], statuses: ['FAILED'] })).totalCount === 60, '60 failed');

  failingA.setStatus(200);
  failingB.setStatus(200);
  const updates = wsCollect(app.url, BOOTSTRAP_KEY, `subscription { bulkOperationUpdated { id status done total } }`, {});
  await settle(200);
  const started = await retry(gql, { webhookIds: [a.id] });
  assert.deepEqual(started.userErrors, []);
  const op = started.bulkOperation;
  assert.equal(op.kind, 'RETRY_DELIVERIES');
  assert.equal(op.status, 'RUNNING');
  assert.equal(op.total, 30);
  assert.match(op.filter, new RegExp(`webhook ${a.id}`));

  const ended = await untilEnded(gql, op.id);
  assert.equal(ended.status, 'SUCCEEDED');
  assert.equal(ended.done, 30);
  assert.equal(ended.failed, 0);
  assert.ok(ended.finishedAt);
  // Only A's deliveries were requeued, and each went out again once.
  await waitUntil(async () => (await deliveries(gql, { webhookIds: [a.id], statuses: ['SUCCEEDED'] })).totalCount === 30, "A's 30 sent");
  await settle(300);
  assert.equal((await deliveries(gql, { webhookIds: [b.id], statuses: ['FAILED'] })).totalCount, 30);
  assert.equal(failingB.received.length, 90, 'B got no retry');
  assert.equal(failingA.received.length, 90 + 30);

  // Progress: several batches of at most 7, then the end.
  const mine = updates.items.map((x) => x.bulkOperationUpdated).filter((u) => u.id === op.id);
  const done = mine.map((u) => u.done);
  assert.ok(mine.length >= 1 + Math.ceil(30 / 7), `updates: ${JSON.stringify(mine)}`);
  assert.deepEqual(
    done,
    [...done].sort((x, y) => x - y),
    'progress only grows',
  );
  assert.equal(mine.at(-1).status, 'SUCCEEDED');
  await updates.stop();

  // bulk_operation.finished: in the event log, and sent to the webhook following it.
  const [finished] = await follower.waitFor(1);
  assert.equal(finished.json.type, 'bulk_operation.finished');
  assert.equal(finished.json.data.bulkOperation.id, op.id);
  assert.equal(finished.json.data.bulkOperation.status, 'SUCCEEDED');
  assert.equal(finished.json.data.bulkOperation.done, 30);
  assert.ok(f.id);

  // Nothing left to retry for A: a second run covers 0 and ends at once.
  const again = await retry(gql, { webhookIds: [a.id] });
  assert.equal(again.bulkOperation.total, 0);
  assert.equal((await untilEnded(gql, again.bulkOperation.id)).status, 'SUCCEEDED');
});

test('replayEvents sends past events to a webhook created after them, as new deliveries of the same events', async () => {
  const created: string[] = [];
  for (let i = 0; i < 12; i++) created.push((await publish(gql, 'order.created', { order: i })).eventId);
  const paid = await publish(gql, 'order.paid', { order: 'x' });
  const late = await receiver(200);
  // Subscribed to something else entirely: a replay sends regardless.
  const w = await createWebhook(gql, { name: 'late comer', targetUrl: late.url, events: ['order.refunded'] });
  const started = await replay(gql, { types: ['order.created'] }, w.id);
  assert.deepEqual(started.userErrors, []);
  assert.equal(started.bulkOperation.kind, 'REPLAY_EVENTS');
  assert.equal(started.bulkOperation.webhookId, w.id);
  assert.equal(started.bulkOperation.total, 12);
  const ended = await untilEnded(gql, started.bulkOperation.id);
  assert.equal(ended.status, 'SUCCEEDED');
  assert.equal(ended.done, 12);
  const got = await late.waitFor(12);
  await settle(300);
  assert.equal(late.received.length, 12);
  // Each event once, under its own id (the webhook-id header); sent concurrently, so in no set order.
  assert.deepEqual(got.map((r) => String(r.headers['webhook-id'])).sort(), [...created].sort());
  assert.ok(!got.some((r) => r.headers['webhook-id'] === paid.eventId));
  assert.deepEqual(
    got.map((r) => r.json.data.order).sort((x: number, y: number) => x - y),
    [...Array(12).keys()],
  );
});

test('cancelBulkOperation stops a running operation; what it did stays done', async () => {
  for (let i = 0; i < 60; i++) await publish(gql, 'order.created', { bulk: i });
  const r = await receiver(200);
  const w = await createWebhook(gql, { name: 'cancelled replay', targetUrl: r.url, events: ['order.refunded'] });
  const started = (await replay(gql, { types: ['order.created'] }, w.id)).bulkOperation;
  await waitUntil(async () => (await bulkOperation(gql, started.id)).done > 0, 'first batch');
  const res = await gql(`mutation($id: ID!) { cancelBulkOperation(id: $id) { bulkOperation { ${OP} } ${ERRORS} } }`, { id: started.id });
  assert.deepEqual(res.data.cancelBulkOperation.userErrors, []);
  const cancelled = res.data.cancelBulkOperation.bulkOperation;
  assert.equal(cancelled.status, 'CANCELLED');
  assert.ok(cancelled.done < cancelled.total, `${cancelled.done} of ${cancelled.total}`);
  await settle(500);
  const later = await bulkOperation(gql, started.id);
  assert.equal(later.status, 'CANCELLED');
  assert.equal(later.done, cancelled.done, 'no batch after the cancel');
  await waitUntil(() => r.received.length >= later.done || null, 'the replayed part sent');
  await settle(300);
  assert.equal(r.received.length, later.done);
  // Cancelling again is a typed error.
  const again = await gql(`mutation($id: ID!) { cancelBulkOperation(id: $id) { ${ERRORS} } }`, { id: started.id });
  assert.deepEqual(
    again.data.cancelBulkOperation.userErrors.map((e: { code: string }) => e.code),
    ['INVALID'],
  );
  // The cancel is a finish too: bulk_operation.finished with CANCELLED.
  const events = await gql(`query { events(first: 20, type: "bulk_operation.finished") { nodes { payload } } }`);
  assert.ok(
    events.data.events.nodes.some(
      (n: { payload: any }) => n.payload.bulkOperation.id === started.id && n.payload.bulkOperation.status === 'CANCELLED',
    ),
  );
});

test('typed errors: inverted ranges, unknown webhook or event type, a filter that excludes FAILED, unknown ids, bad cursors', async () => {
  const codes = (p: { userErrors: { code: string; field: string[] }[] }) => p.userErrors.map((e) => [e.code, e.field.join('.')]);
  const w = await createWebhook(gql, { name: 'errors', targetUrl: 'http://127.0.0.1:9/x', events: ['order.paid'] });
  assert.deepEqual(codes(await replay(gql, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, w.id)), [
    ['INVALID', 'filter.to'],
  ]);
  assert.deepEqual(codes(await replay(gql, {}, 'nope')), [['NOT_FOUND', 'webhookId']]);
  assert.deepEqual(codes(await replay(gql, { types: ['no.such'] }, w.id)), [['INVALID', 'filter.types']]);
  assert.deepEqual(codes(await retry(gql, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })), [['INVALID', 'filter.to']]);
  assert.deepEqual(codes(await retry(gql, { statuses: ['SUCCEEDED'] })), [['INVALID', 'filter.statuses']]);
  assert.deepEqual(codes(await retry(gql, { webhookIds: [] })), [['INVALID', 'filter.webhookIds']]);
  const cancel = await gql(`mutation { cancelBulkOperation(id: "nope") { ${ERRORS} } }`);
  assert.deepEqual(codes(cancel.data.cancelBulkOperation), [['NOT_FOUND', 'id']]);
  const badCursor = await gql(`query { bulkOperations(first: 5, after: "garbage") { hasNextPage } }`);
  assert.equal(badCursor.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
  const badFirst = await gql(`query { bulkOperations(first: 0) { hasNextPage } }`);
  assert.equal(badFirst.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
  const badEnum = await gql(`mutation { retryDeliveries(filter: { statuses: [BROKEN] }) { ${ERRORS} } }`);
  assert.ok(badEnum.errors?.length);
  // MEMBER keys read but do not start or cancel.
  const member = await createAssociate(gql, { name: 'Bulk Member', email: 'bulk-member@example.com', role: 'MEMBER' });
  const { key } = await createApiKey(gql, { name: 'member key', associateId: member.id });
  const asMember = client(app.url, key);
  assert.deepEqual(
    (await retry(asMember, {})).userErrors.map((e: { code: string }) => e.code),
    ['FORBIDDEN'],
  );
  assert.deepEqual(
    (await replay(asMember, {}, w.id)).userErrors.map((e: { code: string }) => e.code),
    ['FORBIDDEN'],
  );
});

test('bulk operations are tenant-scoped: reads, lists, cancel, stream, filters and target webhooks', async () => {
  const mine = (await retry(gql, {})).bulkOperation;
  const tenant = await createTenant('bulk-tenant');
  const theirs = client(app.url, tenant.apiKey);
  const stream = wsCollect(app.url, tenant.apiKey, `subscription { bulkOperationUpdated { id } }`, {});
  await settle(200);
  assert.equal(await bulkOperation(theirs, mine.id), null);
  const list = await theirs(`query { bulkOperations(first: 10) { nodes { id } hasNextPage } }`);
  assert.deepEqual(list.data.bulkOperations.nodes, []);
  const cancel = await theirs(`mutation($id: ID!) { cancelBulkOperation(id: $id) { ${ERRORS} } }`, { id: mine.id });
  assert.equal(cancel.data.cancelBulkOperation.userErrors[0].code, 'NOT_FOUND');
  // My webhook is not theirs to replay into; my failed deliveries are not theirs to retry.
  const w = await createWebhook(gql, { name: 'not theirs', targetUrl: 'http://127.0.0.1:9/x', events: ['order.paid'] });
  assert.equal((await replay(theirs, {}, w.id)).userErrors[0].code, 'NOT_FOUND');
  const theirRetry = await retry(theirs, { webhookIds: [w.id] });
  assert.equal(theirRetry.bulkOperation.total, 0);
  await untilEnded(theirs, theirRetry.bulkOperation.id);
  // Mine, listed newest first and paged by cursor.
  const page1 = await gql(`query { bulkOperations(first: 2) { nodes { id } hasNextPage endCursor } }`);
  assert.equal(page1.data.bulkOperations.nodes[0].id, mine.id);
  assert.equal(page1.data.bulkOperations.hasNextPage, true);
  const page2 = await gql(`query($a: String) { bulkOperations(first: 100, after: $a) { nodes { id } } }`, {
    a: page1.data.bulkOperations.endCursor,
  });
  const ids = [...page1.data.bulkOperations.nodes, ...page2.data.bulkOperations.nodes].map((n: { id: string }) => n.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(!ids.includes(theirRetry.bulkOperation.id));
  await untilEnded(gql, mine.id);
  await settle(200);
  // Their stream heard only their own operation.
  const heard = new Set(stream.items.map((x) => x.bulkOperationUpdated.id));
  assert.ok(!heard.has(mine.id));
  assert.ok(heard.has(theirRetry.bulkOperation.id));
  await stream.stop();
});
