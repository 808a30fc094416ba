// The delivery log as a product: account-wide and per-parent pages with one
// filter input, keyset pages both ways, bounded counts, object links and
// typed errors for bad filters and cursors. Real deliveries to real
// receivers (200, 500 with a body, a refused port), on both databases.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, testDb, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];
const hooks: Record<'ok' | 'err' | 'refused', string> = { ok: '', err: '', refused: '' };
const events: { id: string; type: string }[] = [];

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '0.05,0.05' });
  gql = client(app.url, BOOTSTRAP_KEY);
  const ok = await startReceiver();
  const err = await startReceiver();
  receivers.push(ok, err);
  ok.respond((_r, _i, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('fine, thanks'));
  err.respond((_r, _i, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('Database EXPLODED while saving order'));
  await createEventType(gql, 'order.created');
  await createEventType(gql, 'order.paid');
  hooks.ok = (await createWebhook(gql, { name: 'Log ok', targetUrl: ok.url, events: ['order.created', 'order.paid'] })).id;
  hooks.err = (await createWebhook(gql, { name: 'Log err', targetUrl: err.url, events: ['order.created'] })).id;
  // Port 1 on loopback: nothing listens, so the connection is refused.
  hooks.refused = (await createWebhook(gql, { name: 'Log refused', targetUrl: 'http://127.0.0.1:1/hook', events: ['order.paid'] })).id;
  for (const type of ['order.created', 'order.created', 'order.created', 'order.paid', 'order.paid']) {
    events.push({ id: (await publish(gql, type, { n: events.length })).eventId, type });
  }
  // 10 deliveries: ok 5 (1 attempt each), err 3 and refused 2 (3 attempts each) = 20 attempts.
  await waitUntil(async () => {
    const r = await gql(`{ pending: deliveries(filter: { statuses: [PENDING] }) { totalCount } all: deliveryAttempts { totalCount } }`);
    return r.data?.pending.totalCount === 0 && r.data.all.totalCount === 20;
  }, 'every delivery finished');
});

after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

function ok(res: { data: any; errors?: unknown[] }) {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data;
}

const ATTEMPTS = `query($f: DeliveryAttemptFilter, $first: Int, $after: String, $last: Int, $before: String) {
  deliveryAttempts(filter: $f, first: $first, after: $after, last: $last, before: $before) {
    totalCount totalCountIsLowerBound
    edges { cursor node { id webhookId status trigger responseStatus errorClass error createdAt cursor } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

async function attempts(f: Record<string, unknown> | null, page: Record<string, unknown> = { first: 100 }) {
  return ok(await gql(ATTEMPTS, { f, ...page })).deliveryAttempts;
}

test('account-wide attempts: newest first by (createdAt, id), every filter field on its own', async () => {
  const all = await attempts(null);
  assert.equal(all.totalCount, 20);
  assert.equal(all.totalCountIsLowerBound, false);
  const nodes = all.edges.map((e: any) => e.node);
  for (let i = 1; i < nodes.length; i++) {
    const [a, b] = [nodes[i - 1], nodes[i]];
    assert.ok(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id), `newest first at ${i}`);
  }
  for (const e of all.edges) assert.equal(e.cursor, e.node.cursor);

  const count = async (f: Record<string, unknown>) => {
    const page = await attempts(f);
    assert.equal(page.totalCount, page.edges.length, JSON.stringify(f));
    return page.edges.map((e: any) => e.node);
  };
  assert.equal((await count({ statuses: ['FAILED'] })).length, 15);
  assert.equal((await count({ statuses: ['SUCCEEDED'] })).length, 5);
  const http5xx = await count({ httpStatusFrom: 500, httpStatusTo: 599 });
  assert.equal(http5xx.length, 9);
  for (const a of http5xx) assert.deepEqual([a.responseStatus, a.errorClass, a.webhookId], [500, 'HTTP_ERROR', hooks.err]);
  assert.equal((await count({ httpStatusTo: 299 })).length, 5);
  const refused = await count({ errorClasses: ['CONNECTION_REFUSED'] });
  assert.equal(refused.length, 6);
  for (const a of refused) assert.deepEqual([a.responseStatus, a.errorClass, a.webhookId], [null, 'CONNECTION_REFUSED', hooks.refused]);
  assert.equal((await count({ errorClasses: ['TIMEOUT'] })).length, 0);
  assert.equal((await count({ errorClasses: ['HTTP_ERROR', 'CONNECTION_REFUSED'] })).length, 15);
  assert.equal((await count({ webhookIds: [hooks.ok] })).length, 5);
  assert.equal((await count({ webhookIds: [hooks.ok, hooks.err] })).length, 14);
  assert.equal((await count({ eventTypes: ['order.paid'] })).length, 2 + 6);
  assert.equal((await count({ eventId: events[0].id })).length, 1 + 3);
  assert.equal((await count({ triggers: ['SCHEDULED'] })).length, 20);
  assert.equal((await count({ triggers: ['MANUAL', 'PING'] })).length, 0);
  // Free text in the response body's first KiB, ignoring case.
  assert.equal((await count({ search: 'exploded' })).length, 9);
  assert.equal((await count({ search: 'fine, THANKS' })).length, 5);
  assert.equal((await count({ search: 'nowhere to be found' })).length, 0);
  // Conditions combine.
  assert.equal((await count({ eventTypes: ['order.created'], statuses: ['FAILED'], search: 'database' })).length, 9);
  // A time range: from is inclusive, to exclusive.
  const middle = nodes[10].createdAt;
  const newer = await count({ from: middle });
  const older = await count({ to: middle });
  assert.equal(newer.length + older.length, 20);
  assert.ok(newer.every((a: any) => a.createdAt >= middle) && older.every((a: any) => a.createdAt < middle));
});

test('keyset pages forward and backward cover the filtered log exactly once, in order', async () => {
  const f = { statuses: ['FAILED'] };
  const all = (await attempts(f)).edges.map((e: any) => e.node.id);
  assert.equal(all.length, 15);
  const forward: string[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: any = await attempts(f, { first: 4, after: cursor });
    forward.push(...page.edges.map((e: any) => e.node.id));
    assert.equal(page.pageInfo.hasPreviousPage, cursor !== null);
    if (!page.pageInfo.hasNextPage) break;
    cursor = page.pageInfo.endCursor;
  }
  assert.deepEqual(forward, all);
  const backward: string[] = [];
  cursor = null;
  for (;;) {
    const page: any = await attempts(f, { last: 4, before: cursor });
    backward.unshift(...page.edges.map((e: any) => e.node.id));
    if (!page.pageInfo.hasPreviousPage) break;
    cursor = page.pageInfo.startCursor;
  }
  assert.deepEqual(backward, all);
  // A page with last and no cursor is the oldest rows.
  const oldest = await attempts(f, { last: 2 });
  assert.deepEqual(
    oldest.edges.map((e: any) => e.node.id),
    all.slice(-2),
  );
});

test('object links: attempts to their webhook, delivery and event; deliveries to their webhook, event and filtered attempts', async () => {
  const data = ok(
    await gql(`{ deliveryAttempts(first: 100) { nodes {
      webhookId deliveryId webhook { id name } delivery { id webhookId eventId status } event { id type }
    } } }`),
  );
  for (const a of data.deliveryAttempts.nodes) {
    assert.equal(a.webhook.id, a.webhookId);
    assert.equal(a.delivery.id, a.deliveryId);
    assert.equal(a.delivery.webhookId, a.webhookId);
    assert.equal(a.event.id, a.delivery.eventId);
    assert.equal(a.event.type, events.find((e) => e.id === a.event.id)?.type);
  }
  const deliveries = ok(
    await gql(`{ deliveries(first: 100, filter: { statuses: [FAILED] }) { totalCount nodes {
      id cursor status webhook { id } event { id type }
      attempts(filter: { errorClasses: [HTTP_ERROR] }) { totalCount nodes { id status responseStatus } }
    } } }`),
  ).deliveries;
  assert.equal(deliveries.totalCount, 5);
  for (const d of deliveries.nodes) {
    assert.equal(d.status, 'FAILED');
    assert.equal(d.attempts.totalCount, d.webhook.id === hooks.err ? 3 : 0);
    for (const a of d.attempts.nodes) assert.equal(a.responseStatus, 500);
  }
});

test('deliveries account-wide, per event and per webhook take the DeliveryFilter', async () => {
  const count = async (f: Record<string, unknown>) =>
    ok(await gql(`query($f: DeliveryFilter) { deliveries(filter: $f) { totalCount } }`, { f })).deliveries.totalCount;
  assert.equal(await count({}), 10);
  assert.equal(await count({ statuses: ['SUCCEEDED'] }), 5);
  assert.equal(await count({ statuses: ['FAILED'], webhookIds: [hooks.refused] }), 2);
  assert.equal(await count({ eventTypes: ['order.created'] }), 6);
  assert.equal(await count({ eventId: events[3].id }), 2);
  const perEvent = ok(
    await gql(
      `query($id: ID!) { event(id: $id) { deliveries { totalCount nodes { webhookId status } }
      failed: deliveries(filter: { statuses: [FAILED] }) { nodes { webhookId } } } }`,
      { id: events[0].id },
    ),
  ).event;
  assert.equal(perEvent.deliveries.totalCount, 2);
  assert.deepEqual(
    perEvent.failed.nodes.map((d: any) => d.webhookId),
    [hooks.err],
  );
  const perWebhook = ok(
    await gql(
      `query($id: ID!) { webhook(id: $id) {
      deliveries(filter: { eventTypes: ["order.paid"] }) { totalCount }
      deliveryAttempts(status: SUCCEEDED, filter: { eventTypes: ["order.paid"] }) { totalCount }
      none: deliveryAttempts(status: FAILED, filter: { statuses: [SUCCEEDED] }) { totalCount }
      other: deliveryAttempts(filter: { webhookIds: ["${hooks.err}"] }) { totalCount }
    } }`,
      { id: hooks.ok },
    ),
  ).webhook;
  assert.equal(perWebhook.deliveries.totalCount, 2);
  assert.equal(perWebhook.deliveryAttempts.totalCount, 2);
  // A shorthand and the filter must both hold; another webhook's id narrows a webhook's page to nothing.
  assert.equal(perWebhook.none.totalCount, 0);
  assert.equal(perWebhook.other.totalCount, 0);
});

test('bad filters and cursors are typed errors naming the argument; unknown enum values are GraphQL errors', async () => {
  const refused = async (query: string, variables: Record<string, unknown>, field: string[], message: RegExp) => {
    const res = await gql(query, variables);
    assert.equal(res.errors?.length, 1, JSON.stringify(res.errors ?? res.data));
    assert.equal(res.errors![0].extensions?.code, 'BAD_USER_INPUT', JSON.stringify(res.errors));
    assert.deepEqual(res.errors![0].extensions?.field, field);
    assert.match(res.errors![0].message, message);
    assert.notEqual(res.status, 500);
  };
  const A = 'query($f: DeliveryAttemptFilter, $c: String) { deliveryAttempts(filter: $f, after: $c) { totalCount } }';
  const D = 'query($f: DeliveryFilter, $c: String) { deliveries(filter: $f, after: $c) { totalCount } }';
  const from = '2026-05-02T00:00:00Z';
  const to = '2026-05-01T00:00:00Z';
  await refused(A, { f: { from, to } }, ['filter', 'to'], /^filter\.to must not be before filter\.from$/);
  await refused(D, { f: { from, to } }, ['filter', 'to'], /^filter\.to must not be before filter\.from$/);
  await refused(A, { f: { httpStatusFrom: 700 } }, ['filter', 'httpStatusFrom'], /100 to 599/);
  await refused(A, { f: { httpStatusFrom: 500, httpStatusTo: 400 } }, ['filter', 'httpStatusTo'], /must not be below/);
  await refused(A, { f: { webhookIds: [] } }, ['filter', 'webhookIds'], /must not be empty/);
  await refused(A, { f: { search: 'x'.repeat(201) } }, ['filter', 'search'], /1 to 200/);
  await refused(A, { c: 'garbage' }, ['after'], /^after is not a cursor from this list$/);
  // A delivery's cursor is not an attempt's.
  const deliveryCursor = ok(await gql('{ deliveries(first: 1) { edges { cursor } } }')).deliveries.edges[0].cursor;
  await refused(A, { c: deliveryCursor }, ['after'], /^after is not a cursor from this list$/);
  // Nested pages are checked before execution: one error, not one per parent.
  await refused(
    'query($f: DeliveryAttemptFilter) { deliveries(first: 5) { nodes { attempts(filter: $f) { totalCount } } } }',
    { f: { from, to } },
    ['filter', 'to'],
    /must not be before/,
  );
  const unknown = await gql(A, { f: { errorClasses: ['GREMLINS'] } });
  assert.equal(unknown.errors?.length, 1);
  assert.match(unknown.errors![0].message, /DeliveryErrorClass/);
  assert.equal(unknown.data, undefined);
});

test('totalCount is exact up to 10,000 and a lower bound beyond', async () => {
  // Fixture rows in a tenant of their own, so the other tests' counts stay put.
  const tenant = await createTenant('Busy log');
  const other = client(app.url, tenant.apiKey);
  await createEventType(other, 'bulk.tested');
  const { id: webhookId } = await createWebhook(other, { name: 'Busy', targetUrl: 'https://93.184.216.34/busy', events: ['bulk.tested'] });
  const { eventId } = await publish(other, 'bulk.tested');
  const { prisma } = testDb();
  const delivery = await prisma.delivery.findFirstOrThrow({ where: { eventId } });
  const base = Date.now() - 3_600_000;
  const row = (i: number) => ({
    id: `busy${String(i).padStart(6, '0')}`,
    accountId: tenant.accountId,
    deliveryId: delivery.id,
    webhookId,
    attemptNumber: 1,
    trigger: 'SCHEDULED' as const,
    status: 'FAILED' as const,
    requestUrl: 'https://93.184.216.34/busy',
    requestHeaders: '{}',
    requestBody: '{}',
    responseStatus: 503,
    errorClass: 'HTTP_ERROR',
    durationMs: 1,
    createdAt: new Date(base + i),
  });
  for (let i = 0; i < 10_001; i += 2_500) {
    await prisma.deliveryAttempt.createMany({ data: Array.from({ length: Math.min(2_500, 10_001 - i) }, (_, j) => row(i + j)) });
  }
  // Prisma's SQLite inserts hold the event loop for seconds: the client's kept-alive socket may have
  // been closed by the server meanwhile (ECONNRESET on reuse), so the first request gets one retry.
  const once = () => other('{ deliveryAttempts(first: 1) { totalCount totalCountIsLowerBound } }');
  const page = ok(await once().catch(once)).deliveryAttempts;
  assert.deepEqual(page, { totalCount: 10_000, totalCountIsLowerBound: true });
  const exact = ok(
    await other(
      `{ deliveryAttempts(first: 1, filter: { to: "${new Date(base + 10_000).toISOString()}" }) { totalCount totalCountIsLowerBound } }`,
    ),
  ).deliveryAttempts;
  assert.deepEqual(exact, { totalCount: 10_000, totalCountIsLowerBound: false });
  // The first tenant's log is untouched by the second's.
  assert.equal((await attempts(null)).totalCount, 20);
});
