// Live delivery log: subscriptions over graphql-ws (a real WebSocket client,
// authenticated by connectionParams) and over SSE.
import { sseEvents } from './helpers/sse.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { settle, waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
let wsUrl: string;
const receivers: Receiver[] = [];
const clients: Client[] = [];

type ExecutionResult<T = Record<string, unknown>> = FormattedExecutionResult<T, unknown>;

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '0.05,0.05' });
  gql = client(app.url, BOOTSTRAP_KEY);
  wsUrl = app.url.replace(/^http/, 'ws');
});
after(async () => {
  for (const c of clients) await c.dispose();
  await app.stop();
  for (const r of receivers) await r.close();
});

async function receiver(answer: (i: number) => number = () => 200): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  r.respond((_req, i, res) => {
    res.writeHead(answer(i)).end();
  });
  return r;
}

function wsClient(apiKey: string): Client {
  const c = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { apiKey }, retryAttempts: 0, lazy: false });
  clients.push(c);
  return c;
}

interface Live<T> {
  results: ExecutionResult<T>[];
  errors: unknown[];
  completed: boolean;
  stop(): void;
}

/** Subscribes and collects every result (see untilLive for when it is live). */
function subscribe<T = any>(c: Client, query: string, variables: Record<string, unknown> = {}): Live<T> {
  const live: Live<T> = { results: [], errors: [], completed: false, stop: () => undefined };
  live.stop = c.subscribe<T>(
    { query, variables },
    {
      next: (r) => live.results.push(r),
      error: (e) => live.errors.push(e),
      complete: () => (live.completed = true),
    },
  );
  return live;
}

const ATTEMPTS = `subscription($webhookId: ID, $status: DeliveryAttemptStatus) {
  deliveryAttempts(webhookId: $webhookId, status: $status) { id webhookId deliveryId status attemptNumber trigger responseStatus }
}`;

/**
 * The server registers a subscription a moment after the client sends it.
 * Repeats `trigger` until something arrives, so the stream is proven live,
 * then lets stragglers land and clears what was collected.
 */
async function untilLive(lives: Live<unknown>[], trigger: () => Promise<unknown>, what: string) {
  await waitUntil(
    async () => {
      if (lives.every((l) => l.results.length)) return true;
      await trigger();
      return false;
    },
    what,
    20_000,
    200,
  );
  await settle(200);
  for (const l of lives) l.results.length = 0;
}

test('a graphql-ws subscriber sees each attempt, and the webhookId and status filters apply', async () => {
  await createEventType(gql, 'live.event');
  // One receiver fails the event twice then succeeds; the other always
  // succeeds. The flaky one also fails pings, which makes a probe below.
  const flaky = await startReceiver();
  receivers.push(flaky);
  let eventRequests = 0;
  flaky.respond((req, _i, res) => {
    const fail = req.json?.type === 'webhook.ping' || eventRequests++ < 2;
    res.writeHead(fail ? 500 : 200).end();
  });
  const steady = await receiver();
  const f = await createWebhook(gql, { name: 'live flaky', targetUrl: flaky.url, events: ['live.event'] });
  const s = await createWebhook(gql, { name: 'live steady', targetUrl: steady.url, events: ['live.event'] });

  const c = wsClient(BOOTSTRAP_KEY);
  const all = subscribe(c, ATTEMPTS);
  const onlyFlaky = subscribe(c, ATTEMPTS, { webhookId: f.id });
  const onlyFailed = subscribe(c, ATTEMPTS, { status: 'FAILED' });
  // A failing ping of the flaky webhook matches all three filters.
  await untilLive(
    [all, onlyFlaky, onlyFailed],
    () => gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } } }`, { id: f.id }),
    'the three subscriptions to be live',
  );

  const ev = await publish(gql, 'live.event', { n: 1 });
  assert.equal(ev.deliveryCount, 2);
  // Only the publish's attempts count below (a late probe ping may still land).
  const scheduled = (l: Live<any>) => l.results.filter((r) => r.data?.deliveryAttempts.trigger === 'SCHEDULED');
  await waitUntil(() => scheduled(all).length >= 4, 'four attempts on the unfiltered subscription');
  await waitUntil(() => scheduled(onlyFlaky).length >= 3, 'three attempts for the flaky webhook');
  await waitUntil(() => scheduled(onlyFailed).length >= 2, 'two failed attempts');
  await settle(300);

  for (const live of [all, onlyFlaky, onlyFailed]) {
    assert.deepEqual(live.errors, []);
    assert.ok(
      live.results.every((r) => r.errors === undefined),
      JSON.stringify(live.results),
    );
  }
  const attempts = scheduled(all).map((r) => r.data!.deliveryAttempts);
  assert.equal(attempts.length, 4);
  const flakyAttempts = attempts.filter((a) => a.webhookId === f.id).sort((a, b) => a.attemptNumber - b.attemptNumber);
  assert.deepEqual(
    flakyAttempts.map((a) => [a.attemptNumber, a.status, a.responseStatus]),
    [
      [1, 'FAILED', 500],
      [2, 'FAILED', 500],
      [3, 'SUCCEEDED', 200],
    ],
  );
  const steadyAttempts = attempts.filter((a) => a.webhookId === s.id);
  assert.deepEqual(
    steadyAttempts.map((a) => [a.attemptNumber, a.status, a.trigger]),
    [[1, 'SUCCEEDED', 'SCHEDULED']],
  );
  // Each streamed attempt is the stored one.
  const stored = await gql(`query($id: ID!) { deliveryAttempt(id: $id) { id status webhookId } }`, { id: steadyAttempts[0].id });
  assert.deepEqual(stored.data.deliveryAttempt, { id: steadyAttempts[0].id, status: 'SUCCEEDED', webhookId: s.id });

  assert.deepEqual(
    scheduled(onlyFlaky).map((r) => r.data!.deliveryAttempts.webhookId),
    [f.id, f.id, f.id],
  );
  assert.deepEqual(
    scheduled(onlyFailed).map((r) => r.data!.deliveryAttempts.status),
    ['FAILED', 'FAILED'],
  );
  for (const live of [all, onlyFlaky, onlyFailed]) live.stop();
});

test("a second account's subscriber sees none of the first account's attempts", async () => {
  const tenant = await createTenant('live-tenant-b');
  const bgql = client(app.url, tenant.apiKey);
  await createEventType(gql, 'live.a');
  await createEventType(bgql, 'live.b');
  const ra = await receiver();
  const rb = await receiver();
  const wa = await createWebhook(gql, { name: 'a hook', targetUrl: ra.url, events: ['live.a'] });
  const wb = await createWebhook(bgql, { name: 'b hook', targetUrl: rb.url, events: ['live.b'] });

  const a = subscribe(wsClient(BOOTSTRAP_KEY), ATTEMPTS);
  const bSocket = wsClient(tenant.apiKey);
  // Even asking for A's webhook by id yields nothing to B. (Sent first on
  // B's socket, so it is registered by the time B's own stream is live.)
  const bSnooping = subscribe(bSocket, ATTEMPTS, { webhookId: wa.id });
  const b = subscribe(bSocket, ATTEMPTS);
  // Prove B's subscriptions are live: B's own ping arrives on its stream.
  await untilLive([b], () => bgql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } } }`, { id: wb.id }), "B's own ping");
  await untilLive([a], () => gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } } }`, { id: wa.id }), "A's own ping");
  const bBefore = b.results.length;

  for (let n = 0; n < 5; n++) await publish(gql, 'live.a', { n });
  await waitUntil(() => a.results.filter((r) => r.data?.deliveryAttempts.trigger === 'SCHEDULED').length >= 5, "A's five attempts");
  // B's stream is still live (its own publish arrives) and got nothing of A's.
  await publish(bgql, 'live.b', {});
  await waitUntil(() => b.results.length > bBefore, "B's own attempt");
  await settle(200);
  const bWebhooks = new Set(b.results.map((r) => r.data?.deliveryAttempts.webhookId));
  assert.deepEqual([...bWebhooks], [wb.id]);
  assert.equal(bSnooping.results.length, 0);
  assert.ok(a.results.every((r) => r.data?.deliveryAttempts.webhookId === wa.id));
  for (const l of [a, b, bSnooping]) l.stop();
});

test('a socket with a bad apiKey gets an error, not a stream', async () => {
  const errors: unknown[] = [];
  const results: ExecutionResult[] = [];
  const c = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { apiKey: 'hk_not_a_real_key' }, retryAttempts: 0 });
  clients.push(c);
  c.subscribe({ query: ATTEMPTS }, { next: (r) => results.push(r), error: (e) => errors.push(e), complete: () => undefined });
  await waitUntil(() => errors.length || results.length, 'the bad key to be refused');
  await settle(100);
  // The subscription is answered with an UNAUTHENTICATED error and ends.
  assert.deepEqual(errors, []);
  assert.equal(results.length, 1);
  assert.equal(results[0].data, undefined);
  assert.equal(results[0].errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.match(results[0].errors![0].message, /invalid or has been revoked/);
  // And a socket with no key at all is refused too.
  const anonErrors: unknown[] = [];
  const anonResults: ExecutionResult[] = [];
  const anon = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  clients.push(anon);
  anon.subscribe({ query: ATTEMPTS }, { next: (r) => anonResults.push(r), error: (e) => anonErrors.push(e), complete: () => undefined });
  await waitUntil(() => anonErrors.length || anonResults.length, 'the missing key to be refused');
  assert.deepEqual(anonErrors, []);
  assert.equal(anonResults[0].data, undefined);
  assert.equal(anonResults[0].errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});

test('webhookStateChanged fires on setWebhookActive', async () => {
  const r = await receiver();
  await createEventType(gql, 'live.state');
  const w = await createWebhook(gql, { name: 'toggled', targetUrl: r.url, events: ['live.state'] });
  const other = await createWebhook(gql, { name: 'not watched', targetUrl: r.url, events: ['live.state'] });
  const c = wsClient(BOOTSTRAP_KEY);
  const live = subscribe(c, `subscription($id: ID) { webhookStateChanged(webhookId: $id) { id state stateReason isActive } }`, {
    id: w.id,
  });
  const toggle = (id: string, active: boolean) =>
    gql(`mutation($id: ID!, $active: Boolean!) { setWebhookActive(id: $id, active: $active) { userErrors { message } } }`, { id, active });
  let active = true;
  await untilLive([live], () => toggle(w.id, (active = !active)), 'the first state change');
  if (!active) await toggle(w.id, (active = true));
  await settle(200);
  live.results.length = 0;
  // Now: another webhook's change is not seen; this one's two changes are.
  await toggle(other.id, false);
  await toggle(w.id, false);
  await toggle(w.id, true);
  await waitUntil(() => live.results.length >= 2, 'two state changes');
  await settle(200);
  assert.deepEqual(live.errors, []);
  assert.deepEqual(
    live.results.map((x) => [x.data!.webhookStateChanged.id, x.data!.webhookStateChanged.state, x.data!.webhookStateChanged.isActive]),
    [
      [w.id, 'STOPPED', false],
      [w.id, 'ACTIVE', true],
    ],
  );
  assert.match(live.results[0].data!.webhookStateChanged.stateReason, /Deactivated/);
  live.stop();
});

test('subscriptions also stream over SSE', async () => {
  const r = await receiver();
  await createEventType(gql, 'live.sse');
  const w = await createWebhook(gql, { name: 'sse', targetUrl: r.url, events: ['live.sse'] });
  const abort = new AbortController();
  const res = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': BOOTSTRAP_KEY },
    body: JSON.stringify({ query: ATTEMPTS, variables: { webhookId: w.id } }),
    signal: abort.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: any[] = [];
  const reading = (async () => {
    try {
      for await (const e of sseEvents(res)) events.push(e);
    } catch {
      // aborted
    }
  })();
  // The stream is open; keep publishing until the first event arrives (the
  // subscription registers a moment after the response starts).
  await waitUntil(
    async () => {
      if (!events.length) await gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } } }`, { id: w.id });
      return events.length > 0;
    },
    'the first SSE event',
    20_000,
    200,
  );
  const first = events[0];
  assert.equal(first.errors, undefined);
  assert.equal(first.data.deliveryAttempts.webhookId, w.id);
  assert.equal(first.data.deliveryAttempts.status, 'SUCCEEDED');
  assert.equal(first.data.deliveryAttempts.trigger, 'PING');
  abort.abort();
  await reading;
});

test('a syntax error in one operation fails that operation only, not the socket', async () => {
  const r = await receiver();
  await createEventType(gql, 'live.syntax');
  const w = await createWebhook(gql, { name: 'syntax', targetUrl: r.url, events: ['live.syntax'] });
  let closed = 0;
  const c = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: BOOTSTRAP_KEY },
    retryAttempts: 0,
    on: { closed: () => closed++ },
  });
  clients.push(c);
  const good = subscribe(c, ATTEMPTS, { webhookId: w.id });
  const ping = () => gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } } }`, { id: w.id });
  await untilLive([good], ping, 'the good subscription to be live');

  const bad = subscribe(c, 'subscription { deliveryAttempts { id ');
  await waitUntil(() => bad.errors.length, 'the syntax error');
  assert.match(JSON.stringify(bad.errors[0]), /Syntax Error/);
  await ping();
  await waitUntil(() => good.results.length, 'an attempt on the good subscription after the bad one');
  assert.deepEqual(good.errors, []);
  assert.equal(good.completed, false);
  assert.equal(closed, 0, 'the socket stayed open');
  good.stop();
});

test('a live stream ends once its API key is revoked', async () => {
  const r = await receiver();
  await createEventType(gql, 'live.revoke');
  const w = await createWebhook(gql, { name: 'revoke', targetUrl: r.url, events: ['live.revoke'] });
  const created = await gql(`mutation { createApiKey(input: { name: "dashboard" }) { key apiKey { id } userErrors { message } } }`);
  assert.deepEqual(created.data.createApiKey.userErrors, []);
  const live = subscribe(wsClient(created.data.createApiKey.key), ATTEMPTS, { webhookId: w.id });
  const ping = () => gql(`mutation($id: ID!) { pingWebhook(id: $id) { attempt { id } } }`, { id: w.id });
  await untilLive([live], ping, 'the stream to be live');

  const revoked = await gql(`mutation($id: ID!) { revokeApiKey(id: $id) { userErrors { message } } }`, {
    id: created.data.createApiKey.apiKey.id,
  });
  assert.deepEqual(revoked.data.revokeApiKey.userErrors, []);
  // The next attempt is not sent to the stream: an UNAUTHENTICATED error is, and the stream ends.
  await ping();
  await waitUntil(() => live.completed, 'the stream to end');
  await ping();
  await settle(200);
  assert.equal(live.results.length, 1, JSON.stringify(live.results));
  assert.equal(live.results[0].data, null);
  assert.equal(live.results[0].errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});
