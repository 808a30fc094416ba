// Caps on long-lived streams: operations per graphql-ws connection
// (MAX_SUBSCRIPTIONS_PER_SOCKET), and WebSocket connections plus SSE streams
// per API key (MAX_STREAMS_PER_KEY) and per account (MAX_STREAMS_PER_ACCOUNT).
// Real sockets against a real instance; counts read from the instance.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { waitUntil } from './helpers/wait.js';

const PER_SOCKET = 100;
const PER_KEY = 3;
const PER_ACCOUNT = 5;

let app: TestApp;
let gql: Gql;
let wsUrl: string;
let accountId: string;
let bootstrapKeyId: string;
const sockets: WebSocket[] = [];
const sse: AbortController[] = [];

before(async () => {
  app = await startTestApp({
    WORKER_ENABLED: 'false',
    MAX_SUBSCRIPTIONS_PER_SOCKET: String(PER_SOCKET),
    MAX_STREAMS_PER_KEY: String(PER_KEY),
    MAX_STREAMS_PER_ACCOUNT: String(PER_ACCOUNT),
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  wsUrl = app.url.replace(/^http/, 'ws');
  const { authenticate } = await import('../src/domain/accounts/apiKeys.js');
  const caller = (await authenticate(app.running.state, BOOTSTRAP_KEY))!;
  accountId = caller.accountId;
  bootstrapKeyId = caller.apiKeyId;
});
after(async () => {
  for (const s of sockets) s.terminate();
  for (const a of sse) a.abort();
  await app.stop();
});

const SUB = 'subscription { deliveryAttempts { id status } }';
const streams = () => app.running.state.streams;
const fanout = () => app.running.state.fanout;

interface Conn {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
}

/** A raw graphql-transport-ws connection: resolves once acknowledged, or once closed. */
async function connect(apiKey: string): Promise<Conn> {
  const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
  sockets.push(ws);
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { apiKey } }));
  await Promise.race([waitUntil(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack'), closed]);
  return { ws, messages, closed };
}

const acked = (c: Conn) => c.messages.some((m) => m.type === 'connection_ack');

async function closeAll(conns: Conn[]) {
  for (const c of conns) c.ws.close();
  await Promise.all(conns.map((c) => c.closed));
}

/** Opens an SSE subscription stream; returns its status and body (for a refusal) and how to end it. */
async function openSse(apiKey: string) {
  const abort = new AbortController();
  sse.push(abort);
  const res = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': apiKey },
    body: JSON.stringify({ query: SUB }),
    signal: abort.signal,
  });
  return { res, abort };
}

test(`5,000 subscribe messages on one socket: ${PER_SOCKET} become live, the rest get TOO_MANY_SUBSCRIPTIONS errors`, async () => {
  const before = fanout().stats().subscribers;
  const c = await connect(BOOTSTRAP_KEY);
  assert.ok(acked(c));
  const N = 5000;
  for (let i = 0; i < N; i++) c.ws.send(JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query: SUB } }));
  const errors = () => c.messages.filter((m) => m.type === 'error');
  await waitUntil(
    () => errors().length >= N - PER_SOCKET && fanout().stats().subscribers - before >= PER_SOCKET,
    'every subscribe answered',
    60_000,
  );
  assert.equal(errors().length, N - PER_SOCKET);
  for (const e of errors()) {
    assert.equal(e.payload[0].extensions.code, 'TOO_MANY_SUBSCRIPTIONS', JSON.stringify(e));
    assert.match(e.payload[0].message, /MAX_SUBSCRIPTIONS_PER_SOCKET/);
  }
  assert.equal(fanout().stats().subscribers - before, PER_SOCKET, 'only the cap’s worth are live');
  // No operation was refused twice or both refused and live.
  const refused = new Set(errors().map((e) => e.id));
  assert.equal(refused.size, N - PER_SOCKET);
  assert.equal(c.messages.filter((m) => m.type === 'complete').length, 0);

  // Completing one frees its place for a new one.
  const live = [...Array(N).keys()].map((i) => `s${i}`).find((id) => !refused.has(id))!;
  c.ws.send(JSON.stringify({ id: live, type: 'complete' }));
  await waitUntil(() => fanout().stats().subscribers - before === PER_SOCKET - 1, 'the completed subscription to end');
  c.ws.send(JSON.stringify({ id: 'again', type: 'subscribe', payload: { query: SUB } }));
  await waitUntil(() => fanout().stats().subscribers - before === PER_SOCKET, 'the new subscription to be live');
  assert.equal(errors().length, N - PER_SOCKET, 'the new one was not refused');

  // Closing the socket ends all of them and frees its stream slot.
  assert.equal(streams().count({ apiKeyId: bootstrapKeyId }), 1);
  await closeAll([c]);
  await waitUntil(() => fanout().stats().subscribers === before && streams().count({ apiKeyId: bootstrapKeyId }) === 0, 'cleanup');
});

test(`MAX_STREAMS_PER_KEY (${PER_KEY}): the next WebSocket is closed with 4429, the next SSE stream gets 429 JSON; closing one frees a slot`, async () => {
  const conns: Conn[] = [];
  for (let i = 0; i < PER_KEY; i++) conns.push(await connect(BOOTSTRAP_KEY));
  assert.ok(conns.every(acked));
  assert.equal(streams().count({ apiKeyId: bootstrapKeyId }), PER_KEY);

  const over = await connect(BOOTSTRAP_KEY);
  const { code, reason } = await over.closed;
  assert.equal(acked(over), false);
  assert.equal(code, 4429);
  assert.match(reason, /Too many open streams for this API key \(limit 3\)/);

  const refused = await openSse(BOOTSTRAP_KEY);
  assert.equal(refused.res.status, 429);
  assert.match(refused.res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await refused.res.json()) as any;
  assert.equal(body.errors[0].extensions.code, 'TOO_MANY_STREAMS');
  assert.match(body.errors[0].message, /MAX_STREAMS_PER_KEY/);
  assert.equal(streams().count({ apiKeyId: bootstrapKeyId }), PER_KEY);

  // One closes: an SSE stream now opens, and holds the slot until it is aborted.
  await closeAll([conns.pop()!]);
  await waitUntil(() => streams().count({ apiKeyId: bootstrapKeyId }) === PER_KEY - 1, 'the closed socket’s slot to be freed');
  const ok = await openSse(BOOTSTRAP_KEY);
  assert.equal(ok.res.status, 200);
  assert.match(ok.res.headers.get('content-type') ?? '', /text\/event-stream/);
  await waitUntil(() => streams().count({ apiKeyId: bootstrapKeyId }) === PER_KEY, 'the SSE stream to take a slot');
  ok.abort.abort();
  await waitUntil(() => streams().count({ apiKeyId: bootstrapKeyId }) === PER_KEY - 1, 'the aborted SSE stream to free its slot');

  await closeAll(conns);
  await waitUntil(() => streams().count({ accountId }) === 0, 'all slots freed');
});

test(`MAX_STREAMS_PER_ACCOUNT (${PER_ACCOUNT}) counts every key of the account`, async () => {
  const created = await gql(`mutation { createApiKey(input: { name: "second" }) { key userErrors { message } } }`);
  const second = created.data.createApiKey.key as string;
  assert.ok(second, JSON.stringify(created));
  const conns: Conn[] = [];
  for (let i = 0; i < PER_KEY; i++) conns.push(await connect(BOOTSTRAP_KEY));
  for (let i = 0; i < PER_ACCOUNT - PER_KEY; i++) conns.push(await connect(second));
  assert.ok(conns.every(acked));
  assert.equal(streams().count({ accountId }), PER_ACCOUNT);

  const over = await connect(second);
  const { code, reason } = await over.closed;
  assert.equal(code, 4429);
  assert.match(reason, /Too many open streams for this account \(limit 5\)/);
  const refused = await openSse(second);
  assert.equal(refused.res.status, 429);
  const body = (await refused.res.json()) as any;
  assert.equal(body.errors[0].extensions.code, 'TOO_MANY_STREAMS');
  assert.match(body.errors[0].message, /MAX_STREAMS_PER_ACCOUNT/);

  // Another account is not affected.
  const { createTenant } = await import('./helpers/graphql.js');
  const other = await createTenant('other-tenant');
  const elsewhere = await connect(other.apiKey);
  assert.ok(acked(elsewhere));

  await closeAll([...conns, elsewhere]);
  await waitUntil(() => streams().count({ accountId }) === 0, 'all slots freed');
});

test('a connection without a valid key takes no slot, and its subscriptions are refused as before', async () => {
  const c = await connect('hk_not-a-real-key-000000000000');
  assert.ok(acked(c));
  c.ws.send(JSON.stringify({ id: 'x', type: 'subscribe', payload: { query: SUB } }));
  await waitUntil(() => c.messages.some((m) => m.id === 'x' && (m.type === 'error' || m.type === 'next')), 'an answer');
  const answer = c.messages.find((m) => m.id === 'x');
  const code = answer.type === 'error' ? answer.payload[0].extensions?.code : answer.payload.errors?.[0]?.extensions?.code;
  assert.equal(code, 'UNAUTHENTICATED');
  assert.equal(streams().count({ accountId }), 0);
  await closeAll([c]);
});
