// The graphql-ws fan-out registry (src/live/fanout.ts): live-topic
// subscriptions get pre-built frames from one shared execution, and still
// keep each subscriber's filter, end on revocation of their own key only,
// leave nothing behind on complete or close, and a socket that stops
// reading is dropped instead of buffering without bound or slowing others.
//
// Attempts are published straight onto the instance's live topic, so the
// tests control exactly what is sent and how big it is; the rest of the path
// (graphql-ws, getEnveloped, auth, execution, framing) is the real one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, testDb, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { settle, waitUntil } from './helpers/wait.js';
import type { AttemptRecord, RecordedAttempt } from '../src/db/stores/attempts.js';
import type { Fanout } from '../src/live/fanout.js';

const CAP = 64 * 1024;

let app: TestApp;
let gql: Gql;
let wsUrl: string;
let accountId: string;
let fanout: Fanout;
const clients: Client[] = [];
const sockets: WebSocket[] = [];

before(async () => {
  // 100 sockets at a time with one key: above the default stream caps (test/stream-limits.test.ts covers those).
  app = await startTestApp({
    WORKER_ENABLED: 'false',
    WS_MAX_BUFFERED_BYTES: String(CAP),
    MAX_STREAMS_PER_KEY: '1000',
    MAX_STREAMS_PER_ACCOUNT: '1000',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  wsUrl = app.url.replace(/^http/, 'ws');
  const { state } = testDb();
  const { authenticate } = await import('../src/domain/accounts/apiKeys.js');
  accountId = (await authenticate(state, BOOTSTRAP_KEY))!.accountId;
  fanout = state.fanout;
});
after(async () => {
  for (const c of clients) await c.dispose();
  for (const s of sockets) s.terminate();
  await app.stop();
});

let seq = 0;
function attempt(over: Partial<RecordedAttempt> = {}): RecordedAttempt {
  seq++;
  return {
    id: `att_${seq}`,
    accountId,
    deliveryId: `del_${seq}`,
    webhookId: 'wh_a',
    attemptNumber: seq,
    trigger: 'SCHEDULED',
    status: 'SUCCEEDED',
    requestUrl: 'https://hooks.example.com/a',
    requestHeaders: '{}',
    requestBody: '{}',
    responseStatus: 200,
    responseHeaders: null,
    responseBody: null,
    durationMs: 3,
    error: null,
    errorClass: null,
    nextAttemptAt: null,
    createdAt: new Date(),
    eventId: `evt_${seq}`,
    eventType: 'webhook.created',
    ...over,
  } as RecordedAttempt;
}

function emit(a: RecordedAttempt) {
  testDb().state.pubsub.publish('attempts:account', a.accountId, a);
}

function wsClient(apiKey: string): Client {
  const c = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { apiKey }, retryAttempts: 0, lazy: false });
  clients.push(c);
  return c;
}

interface Live {
  results: any[];
  errors: unknown[];
  completed: boolean;
  stop(): void;
}

function subscribe(c: Client, query: string, variables: Record<string, unknown> = {}): Live {
  const live: Live = { results: [], errors: [], completed: false, stop: () => undefined };
  live.stop = c.subscribe(
    { query, variables },
    { next: (r) => live.results.push(r), error: (e) => live.errors.push(e), complete: () => (live.completed = true) },
  );
  return live;
}

const ATTEMPTS = `subscription($webhookId: ID, $status: DeliveryAttemptStatus) {
  deliveryAttempts(webhookId: $webhookId, status: $status) { id webhookId status }
}`;

const ids = (l: Live) => l.results.map((r) => r.data?.deliveryAttempts?.id);

async function registered(n: number, what: string) {
  await waitUntil(() => fanout.stats().subscribers === n, `${what} (registry: ${JSON.stringify(fanout.stats())})`);
}

const EMPTY = { feeds: 0, groups: 0, subscribers: 0, sockets: 0, keys: 0 };
const occupancy = () => {
  const { dropped: _dropped, ...rest } = fanout.stats();
  return rest;
};

test('each subscriber on the frame path gets exactly what its own filter accepts, in order', async () => {
  const s1 = wsClient(BOOTSTRAP_KEY);
  const s2 = wsClient(BOOTSTRAP_KEY);
  // Two unfiltered subscribers on different sockets share one shape; the
  // filtered ones (by variables, and by a literal argument) have their own.
  const all1 = subscribe(s1, ATTEMPTS);
  const all2 = subscribe(s2, ATTEMPTS);
  const onlyB = subscribe(s1, ATTEMPTS, { webhookId: 'wh_b' });
  const failed = subscribe(s2, 'subscription { deliveryAttempts(status: FAILED) { id webhookId status } }');
  const failedOnB = subscribe(s2, ATTEMPTS, { webhookId: 'wh_b', status: 'FAILED' });
  await registered(5, 'five subscribers');
  assert.equal(fanout.stats().feeds, 1, 'one topic subscription for the account');
  assert.equal(fanout.stats().groups, 4, 'the two unfiltered subscribers share a shape');

  const sent: AttemptRecord[] = [];
  for (let i = 0; i < 60; i++) {
    const a = attempt({ webhookId: i % 3 === 0 ? 'wh_b' : 'wh_a', status: i % 4 === 0 ? 'FAILED' : 'SUCCEEDED' });
    sent.push(a);
    emit(a);
  }
  const want = (f: (a: AttemptRecord) => boolean) => sent.filter(f).map((a) => a.id);
  await waitUntil(() => all1.results.length === 60 && all2.results.length === 60, 'sixty attempts on both unfiltered subscribers');
  await waitUntil(() => onlyB.results.length === want((a) => a.webhookId === 'wh_b').length, "webhook B's attempts");
  await settle(200);
  assert.deepEqual(
    ids(all1),
    want(() => true),
  );
  assert.deepEqual(
    ids(all2),
    want(() => true),
  );
  assert.deepEqual(
    ids(onlyB),
    want((a) => a.webhookId === 'wh_b'),
  );
  assert.deepEqual(
    ids(failed),
    want((a) => a.status === 'FAILED'),
  );
  assert.deepEqual(
    ids(failedOnB),
    want((a) => a.status === 'FAILED' && a.webhookId === 'wh_b'),
  );
  // The frames are plain graphql-ws `next` messages with the selected fields only.
  assert.deepEqual(all1.results[0], {
    data: { deliveryAttempts: { id: sent[0].id, webhookId: sent[0].webhookId, status: sent[0].status } },
  });
  for (const l of [all1, all2, onlyB, failed, failedOnB]) {
    assert.deepEqual(l.errors, []);
    assert.equal(l.completed, false);
    l.stop();
  }
  await registered(0, 'every subscriber to be gone after complete');
  assert.deepEqual(occupancy(), EMPTY);
});

test("revoking a key ends its subscribers' shared stream and no one else's", async () => {
  const created = await gql(`mutation { createApiKey(input: { name: "revoked soon" }) { key apiKey { id } userErrors { message } } }`);
  assert.deepEqual(created.data.createApiKey.userErrors, []);
  const doomedKey = created.data.createApiKey.key;
  // Same account, same shape: one group holds both keys' subscribers.
  const keep = [subscribe(wsClient(BOOTSTRAP_KEY), ATTEMPTS), subscribe(wsClient(BOOTSTRAP_KEY), ATTEMPTS)];
  const doomedSocket = wsClient(doomedKey);
  const doomed = [subscribe(doomedSocket, ATTEMPTS), subscribe(doomedSocket, ATTEMPTS), subscribe(wsClient(doomedKey), ATTEMPTS)];
  await registered(5, 'five subscribers');
  assert.equal(fanout.stats().groups, 1);
  assert.equal(fanout.stats().keys, 2);

  const first = attempt();
  emit(first);
  await waitUntil(() => [...keep, ...doomed].every((l) => l.results.length === 1), 'the first attempt everywhere');

  const revoked = await gql(`mutation($id: ID!) { revokeApiKey(id: $id) { userErrors { message } } }`, {
    id: created.data.createApiKey.apiKey.id,
  });
  assert.deepEqual(revoked.data.revokeApiKey.userErrors, []);
  await waitUntil(() => doomed.every((l) => l.completed), "the revoked key's streams to end");
  await registered(2, 'only the surviving subscribers');
  assert.equal(fanout.stats().keys, 1);

  const second = attempt();
  emit(second);
  await waitUntil(() => keep.every((l) => l.results.length === 2), 'the second attempt on the surviving streams');
  await settle(200);
  for (const l of keep) {
    assert.deepEqual(ids(l), [first.id, second.id]);
    assert.deepEqual(l.errors, []);
    assert.equal(l.completed, false);
  }
  for (const l of doomed) {
    // The attempt before, then the UNAUTHENTICATED error, then complete: nothing after.
    assert.equal(l.results.length, 2, JSON.stringify(l.results));
    assert.deepEqual(ids(l).slice(0, 1), [first.id]);
    assert.equal(l.results[1].data, null);
    assert.equal(l.results[1].errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.match(l.results[1].errors[0].message, /invalid or has been revoked/);
    assert.deepEqual(l.errors, []);
  }
  // The key is refused from now on, on a new socket too.
  const again = subscribe(wsClient(doomedKey), ATTEMPTS);
  await waitUntil(() => again.results.length, 'the refusal');
  assert.equal(again.results[0].errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  for (const l of keep) l.stop();
  await registered(0, 'every subscriber to be gone');
});

/** A bare graphql-transport-ws socket, acknowledged. */
async function rawSocket(
  apiKey = BOOTSTRAP_KEY,
): Promise<{ ws: WebSocket; frames: any[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
  sockets.push(ws);
  const frames: any[] = [];
  let acked!: () => void;
  const ack = new Promise<void>((r) => (acked = r));
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
  );
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type === 'connection_ack') acked();
    else frames.push(m);
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { apiKey } }));
  await ack;
  return { ws, frames, closed };
}

const subscribeMsg = (id: string, variables: Record<string, unknown> = {}, query = ATTEMPTS) =>
  JSON.stringify({ id, type: 'subscribe', payload: { query, variables } });
const WITH_BODY = `subscription { deliveryAttempts { id requestBody } }`;

test('the registry is empty after 1,000 subscribe/complete and 1,000 subscribe/close cycles', async () => {
  // 1,000 subscribe/complete cycles on one socket, 100 at a time: half are
  // completed once registered, half straight away (often before the server
  // has registered them at all).
  const { ws, frames } = await rawSocket();
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 100; i++) ws.send(subscribeMsg(`r${round}-${i}`, { webhookId: `wh_${i % 7}` }));
    if (round % 2 === 0) await registered(100, `round ${round}: 100 subscribers`);
    for (let i = 0; i < 100; i++) ws.send(JSON.stringify({ id: `r${round}-${i}`, type: 'complete' }));
    await registered(0, `round ${round}: none left`);
  }
  assert.deepEqual(occupancy(), EMPTY);
  // Completed subscriptions get nothing more; the socket is still fine.
  emit(attempt({ webhookId: 'wh_1' }));
  ws.send(subscribeMsg('last', { webhookId: 'wh_1' }));
  await registered(1, 'one more subscriber');
  const a = attempt({ webhookId: 'wh_1' });
  emit(a);
  await waitUntil(() => frames.some((f) => f.id === 'last'), 'the attempt on the last subscription');
  assert.deepEqual(
    frames.filter((f) => f.type === 'next').map((f) => [f.id, f.payload.data.deliveryAttempts.id]),
    [['last', a.id]],
  );
  ws.close();
  await registered(0, 'none after the socket closed');

  // 1,000 sockets, 100 at a time, each with two subscriptions, then closed
  // (cleanly, or torn down without a closing handshake).
  for (let round = 0; round < 10; round++) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => rawSocket()));
    for (const [i, s] of batch.entries()) {
      s.ws.send(subscribeMsg('a'));
      s.ws.send(subscribeMsg('b', { status: i % 2 ? 'FAILED' : 'SUCCEEDED' }));
    }
    await registered(200, `socket round ${round}: 200 subscribers`);
    for (const [i, s] of batch.entries()) {
      if (i % 2) s.ws.terminate();
      else s.ws.close();
    }
    await registered(0, `socket round ${round}: none left`);
    await waitUntil(() => fanout.stats().sockets === 0, `socket round ${round}: no socket left`);
    sockets.length = 0;
  }
  assert.deepEqual(occupancy(), EMPTY);
});

test('a socket that stops reading is dropped with 1013 once over the cap, and the others get every attempt', async () => {
  const droppedBefore = fanout.stats().dropped;
  const slow = await rawSocket();
  slow.ws.send(subscribeMsg('slow', {}, WITH_BODY));
  const fast = subscribe(wsClient(BOOTSTRAP_KEY), WITH_BODY);
  const fastRaw = await rawSocket();
  fastRaw.ws.send(subscribeMsg('fast', {}, WITH_BODY));
  await registered(3, 'three subscribers');

  // The slow client stops reading: first the kernel buffers fill, then the
  // server's send buffer grows until it passes the cap.
  const serverSide = [...(testDb().state.fanout as unknown as { bySocket: Map<WebSocket, unknown> }).bySocket.keys()];
  slow.ws.pause();
  const big = 'x'.repeat(200 * 1024);
  const sent: string[] = [];
  let peak = 0;
  for (let i = 0; i < 400 && fanout.stats().dropped === droppedBefore; i++) {
    const a = attempt({ requestBody: big });
    sent.push(a.id);
    emit(a);
    for (const s of serverSide) peak = Math.max(peak, s.bufferedAmount);
    // Let the fast sockets drain, as a live reader would.
    await settle(5);
  }
  assert.equal(fanout.stats().dropped, droppedBefore + 1, 'the slow socket was dropped');
  // Never more than the cap plus the frame that crossed it was buffered.
  const frameBytes = big.length + 1024;
  assert.ok(peak <= CAP + frameBytes, `peak send buffer ${peak} bytes, cap ${CAP}`);
  await registered(2, 'the slow socket gone from the registry');

  // Everyone else got every attempt, in order.
  await waitUntil(() => fast.results.length === sent.length, `all ${sent.length} attempts on the graphql-ws client`);
  await waitUntil(() => fastRaw.frames.length === sent.length, `all ${sent.length} attempts on the raw fast socket`);
  assert.deepEqual(
    fast.results.map((r) => r.data.deliveryAttempts.id),
    sent,
  );
  assert.deepEqual(
    fastRaw.frames.map((f) => f.payload.data.deliveryAttempts.id),
    sent,
  );
  assert.deepEqual(fast.errors, []);
  assert.ok(sent.length > 1, 'more than one attempt was needed to fill the buffers');

  // Once it reads again, the slow client sees what was buffered and then the close code.
  slow.ws.resume();
  const { code, reason } = await slow.closed;
  assert.equal(code, 1013);
  assert.match(reason, /too slow/);
  assert.ok(slow.frames.length < sent.length);
  assert.deepEqual(
    slow.frames.map((f) => f.payload.data.deliveryAttempts.id),
    sent.slice(0, slow.frames.length),
  );
  fast.stop();
  fastRaw.ws.close();
  await registered(0, 'none left');
});
