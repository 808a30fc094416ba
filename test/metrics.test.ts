// GET /metrics against what really happened: events published to real
// receivers on loopback, some of which fail, and /metrics must count
// exactly what the receivers counted (successes and HTTP errors) and what
// the delivery log holds (connection failures, final statuses, claim and
// record batches). Also: the bearer token, GraphQL operations by name,
// open subscriptions over graphql-ws and SSE, pings counted on the API
// thread, the queue and webhook gauges, and Prometheus naming.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook } from './helpers/dispatch.js';
import { scrape, sum, type Sample } from './helpers/metrics.js';
import { waitUntil } from './helpers/wait.js';

const TOKEN = 'metrics-test-token-0123456789';
const EVENTS = 24;
const QUEUE = ['due', 'in_flight', 'scheduled', 'paused'];
const RETRIES = 2; // RETRY_SCHEDULE below: three attempts at most

let app: TestApp;
let gql: Gql;
const receivers: Record<'ok' | 'flaky' | 'failing', Receiver> = {} as never;
let refusedUrl = '';
const ids: Record<string, string> = {};

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05,0.05',
    AUTO_DISABLE_AFTER: '1000',
    METRICS_TOKEN: TOKEN,
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  await createEventType(gql, 'order.paid');
  receivers.ok = await startReceiver();
  receivers.flaky = await startReceiver();
  receivers.failing = await startReceiver();
  const closed = await startReceiver();
  refusedUrl = closed.url;
  await closed.close();
  // Every other request fails with 503; the failing receiver always answers 500.
  receivers.flaky.respond((_r, i, res) => void res.writeHead(i % 2 ? 503 : 200).end());
  receivers.failing.respond((_r, _i, res) => void res.writeHead(500).end('no'));
  for (const [name, url] of [
    ['ok', receivers.ok.url],
    ['flaky', receivers.flaky.url],
    ['failing', receivers.failing.url],
    ['refused', refusedUrl],
  ]) {
    ids[name] = (await createWebhook(gql, { name, targetUrl: url, events: ['order.paid'] })).id;
  }
});
after(async () => {
  await app.stop();
  for (const r of Object.values(receivers)) await r.close();
});

const answered = (r: Receiver, ok: boolean) =>
  r.received.filter((_x, i) => {
    const s = r === receivers.ok ? 200 : r === receivers.flaky ? (i % 2 ? 503 : 200) : 500;
    return ok === s < 300;
  }).length;

async function metrics(): Promise<Sample[]> {
  const m = await scrape(app.url, TOKEN);
  assert.equal(m.status, 200, m.text);
  return m.samples;
}

test('GET /metrics needs the bearer token when METRICS_TOKEN is set', async () => {
  const url = app.url.replace(/\/graphql$/, '/metrics');
  const none = await fetch(url);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
  const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
});

test('delivery counters equal what the receivers counted and the delivery log holds', async () => {
  const before = await metrics();
  assert.equal(sum(before, 'hookline_delivery_attempts_total'), 0, 'nothing delivered yet');
  for (let i = 0; i < EVENTS; i++) {
    const res = await gql(
      `mutation PublishOrder($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount userErrors { message } } }`,
      { input: { type: 'order.paid', payload: { i } } },
    );
    assert.equal(res.data.publishEvent.deliveryCount, 4);
  }
  // Every delivery final: the ok ones at once, the flaky ones within three tries, the others after three.
  await waitUntil(async () => {
    const res = await gql(`{ deliveries(first: 1, filter: { statuses: [PENDING] }) { totalCount } }`);
    return res.data.deliveries.totalCount === 0;
  }, 'every delivery to reach a final status');
  const log = await gql(`{
    attempts: deliveryAttempts(first: 1) { totalCount }
    refused: deliveryAttempts(first: 1, filter: { errorClasses: [CONNECTION_REFUSED] }) { totalCount }
    succeeded: deliveries(first: 1, filter: { statuses: [SUCCEEDED] }) { totalCount }
    failed: deliveries(first: 1, filter: { statuses: [FAILED] }) { totalCount }
  }`);
  assert.equal(log.errors, undefined, JSON.stringify(log.errors));
  const received = Object.values(receivers).reduce((n, r) => n + r.received.length, 0);
  const successes = answered(receivers.ok, true) + answered(receivers.flaky, true);
  const httpErrors = answered(receivers.flaky, false) + answered(receivers.failing, false);
  assert.equal(successes + httpErrors, received);
  assert.equal(receivers.ok.received.length, EVENTS);
  assert.equal(receivers.failing.received.length, EVENTS * (1 + RETRIES));
  assert.equal(log.data.refused.totalCount, EVENTS * (1 + RETRIES));
  assert.equal(log.data.attempts.totalCount, received + log.data.refused.totalCount);

  // The delivery thread reports within a second; then the counts are exact.
  let m: Sample[] = [];
  await waitUntil(async () => {
    m = await metrics();
    return sum(m, 'hookline_delivery_attempts_total') === log.data.attempts.totalCount;
  }, '/metrics to count every recorded attempt');
  const attempts = (labels: Record<string, string>) => sum(m, 'hookline_delivery_attempts_total', { trigger: 'scheduled', ...labels });
  assert.equal(attempts({ outcome: 'success', error_class: 'none' }), successes, 'successes = 2xx answers the receivers gave');
  assert.equal(attempts({ outcome: 'failure', error_class: 'http_error' }), httpErrors, 'HTTP errors = 5xx answers the receivers gave');
  assert.equal(attempts({ outcome: 'failure', error_class: 'connection_refused' }), EVENTS * (1 + RETRIES));
  assert.equal(attempts({ outcome: 'failure' }), httpErrors + EVENTS * (1 + RETRIES), 'no failure of another class');
  assert.equal(sum(m, 'hookline_deliveries_completed_total', { status: 'succeeded' }), log.data.succeeded.totalCount);
  assert.equal(sum(m, 'hookline_deliveries_completed_total', { status: 'failed' }), log.data.failed.totalCount);
  assert.equal(log.data.succeeded.totalCount + log.data.failed.totalCount, EVENTS * 4);

  // Latency: one observation per attempt; buckets cumulative up to +Inf.
  const total = log.data.attempts.totalCount;
  assert.equal(sum(m, 'hookline_delivery_attempt_duration_seconds_count'), total);
  assert.equal(sum(m, 'hookline_delivery_attempt_duration_seconds_bucket', { le: '+Inf' }), total);
  assert.equal(sum(m, 'hookline_delivery_attempt_duration_seconds_count', { outcome: 'success' }), successes);
  const buckets = m.filter((s) => s.name === 'hookline_delivery_attempt_duration_seconds_bucket' && s.labels.outcome === 'failure');
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'cumulative buckets');
  assert.ok(sum(m, 'hookline_delivery_attempt_duration_seconds_sum') > 0);
  // Batches: every scheduled attempt was claimed once and recorded once.
  assert.equal(sum(m, 'hookline_delivery_record_batch_size_sum'), total);
  assert.equal(sum(m, 'hookline_delivery_claim_batch_size_sum'), total);
  assert.ok(sum(m, 'hookline_delivery_record_batch_size_count') >= 1);
  assert.ok(sum(m, 'hookline_delivery_claim_batch_size_count') >= 1);

  // Queue and webhooks, read from the database.
  for (const state of QUEUE) assert.equal(sum(m, 'hookline_delivery_queue_depth', { state }), 0, state);
  assert.equal(sum(m, 'hookline_delivery_oldest_due_age_seconds'), 0);
  assert.equal(sum(m, 'hookline_webhooks', { state: 'active' }), 4);
  assert.equal(sum(m, 'hookline_webhooks', { state: 'stopped' }), 0);

  // GraphQL operations by name.
  assert.equal(sum(m, 'hookline_graphql_operations_total', { operation_name: 'PublishOrder', operation_type: 'mutation' }), EVENTS);
  assert.equal(sum(m, 'hookline_graphql_operation_duration_seconds_count', { operation_name: 'PublishOrder' }), EVENTS);
  assert.equal(sum(m, 'hookline_graphql_errors_total', { operation_name: 'PublishOrder' }), 0);
});

test('pings (sent on the API thread) are counted, and the queue gauges see due and paused deliveries', async () => {
  const ping = await gql(`mutation { pingWebhook(id: "${ids.failing}") { attempt { status } userErrors { message } } }`);
  assert.equal(ping.data.pingWebhook.attempt.status, 'FAILED');
  const m = await metrics();
  assert.equal(sum(m, 'hookline_delivery_attempts_total', { trigger: 'ping', outcome: 'failure', error_class: 'http_error' }), 1);

  // A delivery being sent is in_flight; once its webhook is off, its retry waits as paused; back on, it is sent.
  const held = await startReceiver();
  const release: (() => void)[] = [];
  held.respond((_r, i, res) => {
    if (i > 0) return void res.writeHead(200).end();
    return new Promise<void>((done) => release.push(() => (res.writeHead(503).end(), done())));
  });
  await createEventType(gql, 'order.held');
  const webhookId = (await createWebhook(gql, { name: 'held', targetUrl: held.url, events: ['order.held'] })).id;
  try {
    await gql(`mutation { publishEvent(input: { type: "order.held", payload: {} }) { deliveryCount } }`);
    await held.waitFor(1);
    // (The database gauges are read at most once a second, hence the waits.)
    let q: Sample[] = [];
    await waitUntil(async () => sum((q = await metrics()), 'hookline_delivery_queue_depth', { state: 'in_flight' }) === 1, 'one in flight');
    assert.equal(sum(q, 'hookline_delivery_queue_depth', { state: 'due' }), 0);
    await gql(`mutation { setWebhookActive(id: "${webhookId}", active: false) { userErrors { message } } }`);
    release[0]();
    await waitUntil(
      async () => sum((q = await metrics()), 'hookline_delivery_queue_depth', { state: 'paused' }) === 1,
      'one paused delivery',
    );
    assert.equal(sum(q, 'hookline_delivery_queue_depth', { state: 'in_flight' }), 0);
    assert.equal(sum(q, 'hookline_webhooks', { state: 'stopped' }), 1);
    await gql(`mutation { setWebhookActive(id: "${webhookId}", active: true) { userErrors { message } } }`);
    await held.waitFor(2);
    await waitUntil(async () => {
      q = await metrics();
      return QUEUE.every((state) => sum(q, 'hookline_delivery_queue_depth', { state }) === 0);
    }, 'the paused delivery to be sent once its webhook is back');
  } finally {
    await held.close();
  }
});

test('open subscriptions are counted per transport while they stream', async () => {
  const open = async (transport: string) => sum(await metrics(), 'hookline_subscriptions_open', { transport });
  assert.equal(await open('websocket'), 0);
  assert.equal(await open('http'), 0);
  const ws = createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { apiKey: BOOTSTRAP_KEY },
    retryAttempts: 0,
  });
  const stops = [1, 2].map(() =>
    ws.subscribe(
      { query: 'subscription Watch { deliveryAttempts { id } }' },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    ),
  );
  await waitUntil(async () => (await open('websocket')) === 2, 'two websocket subscriptions open');
  const controller = new AbortController();
  const sse = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': BOOTSTRAP_KEY },
    body: JSON.stringify({ query: 'subscription WatchSse { deliveryAttempts { id } }' }),
    signal: controller.signal,
  });
  assert.equal(sse.status, 200);
  await waitUntil(async () => (await open('http')) === 1, 'one SSE subscription open');
  const m = await metrics();
  assert.equal(sum(m, 'hookline_graphql_operations_total', { operation_name: 'Watch', operation_type: 'subscription' }), 2);
  stops[0]();
  await waitUntil(async () => (await open('websocket')) === 1, 'one left after complete');
  await ws.dispose();
  await waitUntil(async () => (await open('websocket')) === 0, 'none after the socket closed');
  controller.abort();
  await waitUntil(async () => (await open('http')) === 0, 'none after the SSE client went away');
});

test('operation names are bounded; errors are counted by code', async () => {
  const bad = await gql(`query Broken { nope }`);
  assert.ok(bad.errors?.length);
  const unauth = await client(app.url, 'not-a-key')(`query Who { viewer { id } }`);
  assert.ok(unauth.errors?.length);
  const m = await metrics();
  assert.equal(sum(m, 'hookline_graphql_errors_total', { operation_name: 'Broken', code: 'GRAPHQL_VALIDATION_FAILED' }), 1);
  assert.ok(sum(m, 'hookline_graphql_errors_total', { operation_name: 'Who' }) >= 1, 'the refused query is counted with its code');
});

test('names and types follow Prometheus conventions; the default process metrics are there', async () => {
  const m = await scrape(app.url, TOKEN);
  const types = new Map([...m.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) => [x[1], x[2]]));
  for (const [name, type] of types) {
    if (!name.startsWith('hookline_')) continue;
    if (type === 'counter') assert.match(name, /_total$/, `${name}: counters end in _total`);
    else assert.doesNotMatch(name, /_total$/, `${name}: only counters end in _total`);
    if (/duration|age|lag/.test(name)) assert.match(name, /_seconds$/, `${name}: durations are in seconds`);
  }
  for (const name of [
    'hookline_delivery_attempts_total',
    'hookline_deliveries_completed_total',
    'hookline_delivery_attempt_duration_seconds',
    'hookline_delivery_queue_depth',
    'hookline_delivery_oldest_due_age_seconds',
    'hookline_delivery_claim_batch_size',
    'hookline_delivery_record_batch_size',
    'hookline_webhooks',
    'hookline_subscriptions_open',
    'hookline_graphql_operations_total',
    'hookline_graphql_operation_duration_seconds',
    'hookline_graphql_errors_total',
    'hookline_delivery_thread_eventloop_lag_p99_seconds',
    'nodejs_eventloop_lag_seconds',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
  ]) {
    assert.ok(types.has(name), `missing ${name}`);
  }
  assert.equal(types.get('hookline_delivery_attempt_duration_seconds'), 'histogram');
  // No per-account label unless METRICS_ACCOUNT_LABELS is on.
  assert.ok(!m.samples.some((s) => 'account' in s.labels));
});

test("the README's metrics table lists exactly the hookline_ metrics /metrics serves", async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('## Security'));
  const documented = new Set<string>();
  for (const row of section.matchAll(/^\| (`hookline_[^|]+)\|/gm))
    for (const m of row[1].matchAll(/`(hookline_\w+)`/g)) documented.add(m[1]);
  const served = new Set([...(await scrape(app.url, TOKEN)).text.matchAll(/^# TYPE (hookline_\w+) /gm)].map((m) => m[1]));
  assert.deepEqual([...documented].sort(), [...served].sort());
});
