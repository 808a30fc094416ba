// The deliveryAttempts subscription from a cursor: a client that loads a
// page and subscribes with its newest cursor while attempts are being
// written gets every later attempt exactly once, in order, over graphql-ws
// and SSE. deliveryUpdated reports status changes with the DeliveryFilter.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';
import { allAttempts, assertCaughtUp, publishMany, sseCollect, STREAM, wsCollect, type Collected } from './helpers/logStream.js';

let app: TestApp;
let gql: Gql;
let receiver: Receiver;
const streams: Collected[] = [];

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '0.05,0.05' });
  gql = client(app.url, BOOTSTRAP_KEY);
  receiver = await startReceiver();
});

after(async () => {
  for (const s of streams) await s.stop();
  await app.stop();
  await receiver.close();
});

const count = async () => (await gql('{ deliveryAttempts { totalCount } }')).data.deliveryAttempts.totalCount as number;

test('subscribing with after while 500 attempts are written: each later attempt exactly once, in order, over graphql-ws and SSE', async () => {
  await createEventType(gql, 'stream.tested');
  const hook = await createWebhook(gql, { name: 'Streamed', targetUrl: receiver.url, events: ['stream.tested'] });
  const writing = publishMany(gql, 'stream.tested', 500);
  // A client loads a page once the log is moving, and subscribes from its newest cursor.
  await waitUntil(async () => (await count()) >= 100, '100 attempts written');
  const page = (await gql('{ deliveryAttempts(first: 20) { edges { cursor } } }')).data.deliveryAttempts.edges;
  const cursor = page[0].cursor;
  const ws = wsCollect(app.url, BOOTSTRAP_KEY, STREAM, { after: cursor });
  const sse = sseCollect(app.url, BOOTSTRAP_KEY, STREAM, { after: cursor });
  // Another from an older cursor, filtered to this webhook.
  const older = page.at(-1).cursor;
  const filtered = wsCollect(app.url, BOOTSTRAP_KEY, STREAM, { after: older, f: { webhookIds: [hook.id], statuses: ['SUCCEEDED'] } });
  streams.push(ws, sse, filtered);
  assert.ok((await count()) < 500, 'the streams started while attempts were still being written');
  await writing;
  await waitUntil(async () => (await count()) === 500, 'all 500 attempts written');
  const all = await allAttempts(gql);
  assert.equal(all.length, 500);
  const tail = (c: string) => all.length - 1 - all.findIndex((a) => a.cursor === c);
  for (const [what, s, c] of [
    ['graphql-ws', ws, cursor],
    ['SSE', sse, cursor],
    ['filtered, older cursor', filtered, older],
  ] as const) {
    await waitUntil(() => s.items.length >= tail(c) || s.errors.length, `${what}: every attempt after the cursor`);
    // Nothing more arrives after the last one.
    await new Promise((r) => setTimeout(r, 300));
    assertCaughtUp(what, s, all, c);
  }
});

test('a stream from a cursor stays live, and its bad cursor or filter is a typed error', async () => {
  const last = (await gql('{ deliveryAttempts(first: 1) { edges { cursor } } }')).data.deliveryAttempts.edges[0].cursor;
  const s = wsCollect(app.url, BOOTSTRAP_KEY, STREAM, { after: last });
  streams.push(s);
  const { eventId } = await publish(gql, 'stream.tested', { late: true });
  await waitUntil(() => s.items.length === 1, 'the live attempt');
  assert.equal(
    (await gql('query($id: ID!) { deliveryAttempt(id: $id) { event { id } } }', { id: s.items[0].deliveryAttempts.id })).data
      .deliveryAttempt.event.id,
    eventId,
  );

  for (const [vars, field] of [
    [{ after: 'not-a-cursor' }, ['after']],
    [{ after: last, f: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, ['filter', 'to']],
  ] as const) {
    for (const bad of [wsCollect(app.url, BOOTSTRAP_KEY, STREAM, vars), sseCollect(app.url, BOOTSTRAP_KEY, STREAM, vars)]) {
      streams.push(bad);
      await waitUntil(() => bad.errors.length, `the error for ${JSON.stringify(vars)}`);
      const [err] = (bad.errors[0] as any[]).flat();
      assert.equal(err.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(bad.errors));
      assert.deepEqual(err.extensions?.field, field);
    }
  }
});

test("another tenant's stream from a cursor sees none of this account's attempts", async () => {
  const tenant = await createTenant('Stream snooper');
  const last = (await gql('{ deliveryAttempts(first: 1) { edges { cursor } } }')).data.deliveryAttempts.edges[0].cursor;
  // Even with this account's cursor, the history is the snooper's own (none) and live events are its own.
  const snoop = wsCollect(app.url, tenant.apiKey, STREAM, { after: last });
  const own = wsCollect(app.url, BOOTSTRAP_KEY, STREAM, { after: last });
  streams.push(snoop, own);
  await publish(gql, 'stream.tested', { secret: true });
  await waitUntil(() => own.items.length === 1, 'the owner sees its attempt');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(snoop.items, []);
  assert.deepEqual(snoop.errors, []);
});

test('deliveryUpdated reports PENDING → FAILED with nextAttemptAt on the way, filtered', async () => {
  const failing = await startReceiver();
  failing.respond((_r, _i, res) => void res.writeHead(503).end('busy'));
  await createEventType(gql, 'updated.tested');
  const hook = await createWebhook(gql, { name: 'Updates', targetUrl: failing.url, events: ['updated.tested'] });
  const Q = `subscription($f: DeliveryFilter, $w: ID) { deliveryUpdated(filter: $f, webhookId: $w) { id status attemptCount nextAttemptAt webhookId event { type } } }`;
  const mine = wsCollect(app.url, BOOTSTRAP_KEY, Q, { w: hook.id });
  const sse = sseCollect(app.url, BOOTSTRAP_KEY, Q, { f: { eventTypes: ['updated.tested'], statuses: ['FAILED'] } });
  const other = wsCollect(app.url, BOOTSTRAP_KEY, Q, { f: { eventTypes: ['stream.tested'] } });
  streams.push(mine, sse, other);
  await new Promise((r) => setTimeout(r, 300));
  // Publish until the streams are live (a subscription registers a moment after it is sent).
  const { eventId } = await publish(gql, 'updated.tested');
  await waitUntil(() => mine.items.length >= 3, 'three updates (two retries, then FAILED)');
  const updates = mine.items.map((d) => d.deliveryUpdated);
  assert.deepEqual(
    updates.map((u) => [u.status, u.attemptCount, u.nextAttemptAt !== null]),
    [
      ['PENDING', 1, true],
      ['PENDING', 2, true],
      ['FAILED', 3, false],
    ],
  );
  for (const u of updates) assert.deepEqual([u.webhookId, u.event.type], [hook.id, 'updated.tested']);
  const delivery = (await gql('query($id: ID!) { event(id: $id) { deliveries { nodes { id } } } }', { id: eventId })).data.event.deliveries
    .nodes[0];
  assert.equal(updates[0].id, delivery.id);
  await waitUntil(() => sse.items.length >= 1, 'the FAILED update over SSE');
  assert.deepEqual(
    sse.items.map((d) => d.deliveryUpdated.status),
    ['FAILED'],
  );
  assert.deepEqual(other.items, []);
  await failing.close();
});
