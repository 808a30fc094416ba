// Health over time (Webhook.health, deliveryHealth) against the delivery log
// itself: per bucket, the attempts, successes, failures by error class and
// HTTP status class, and latency percentiles must equal what the stored
// attempts say. Also: tenant isolation, typed errors for window and bucket,
// and the failure context in webhook.state_changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';
import { binUpperMs, latencyBin } from '../src/dispatch/health.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];
const ids: Record<'ok' | 'bad' | 'refused', string> = { ok: '', bad: '', refused: '' };

const SERIES = `from to bucketSeconds buckets { start end attempts successes failures
  failuresByErrorClass { errorClass count } failuresByStatusClass { statusClass count } latencyP50Ms latencyP95Ms latencyP99Ms }`;

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05,0.05',
    AUTO_DISABLE_AFTER: '3',
    AUTO_DISABLE_WINDOW: '0',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  for (const t of ['order.paid', 'order.shipped', 'order.refunded']) await createEventType(gql, t);
  const ok = await startReceiver();
  const bad = await startReceiver();
  const closed = await startReceiver();
  receivers.push(ok, bad);
  // Some latency to measure: 20–200 ms.
  ok.respond(async (_q, i, res) => {
    await new Promise((r) => setTimeout(r, 20 + ((i * 37) % 180)));
    res.writeHead(200).end('ok');
  });
  bad.respond((_q, _i, res) => void res.writeHead(503).end('Down for maintenance until 17:00 UTC; see status.example.com'));
  const refusedUrl = closed.url;
  await closed.close();
  ids.ok = (await createWebhook(gql, { name: 'healthy', targetUrl: ok.url, events: ['order.paid'] })).id;
  ids.bad = (await createWebhook(gql, { name: 'in maintenance', targetUrl: bad.url, events: ['order.shipped'] })).id;
  ids.refused = (await createWebhook(gql, { name: 'refused', targetUrl: refusedUrl, events: ['order.refunded'] })).id;
  for (let i = 0; i < 8; i++) await publish(gql, 'order.paid', { i });
  await publish(gql, 'order.shipped', {});
  await publish(gql, 'order.refunded', {});
  // 8 successes; 3 failures each for the other two, which then turn off (AUTO_DISABLE_AFTER=3).
  await waitUntil(async () => {
    const res = await gql(`query { deliveryAttempts(first: 1) { totalCount } }`);
    return res.data.deliveryAttempts.totalCount === 14 || null;
  }, '14 attempts');
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

interface Attempt {
  webhookId: string;
  status: string;
  responseStatus: number | null;
  errorClass: string | null;
  durationMs: number;
  createdAt: string;
}

async function storedAttempts(webhookId?: string): Promise<Attempt[]> {
  const res = await gql(
    `query($f: DeliveryAttemptFilter) { deliveryAttempts(first: 100, filter: $f) { nodes { webhookId status responseStatus errorClass durationMs createdAt } } }`,
    {
      f: webhookId ? { webhookIds: [webhookId] } : null,
    },
  );
  assert.deepEqual(res.errors, undefined);
  return res.data.deliveryAttempts.nodes;
}

/** What a bucket must say, computed from the stored attempts. */
function expected(attempts: Attempt[], start: number, end: number) {
  const inside = attempts.filter((a) => Date.parse(a.createdAt) >= start && Date.parse(a.createdAt) < end);
  const failed = inside.filter((a) => a.status === 'FAILED');
  const count = <T extends string>(xs: T[]) => {
    const m = new Map<T, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const durations = inside.map((a) => a.durationMs).sort((x, y) => x - y);
  const pct = (p: number) =>
    durations.length ? binUpperMs(latencyBin(durations[Math.max(1, Math.ceil(p * durations.length)) - 1])) : null;
  return {
    attempts: inside.length,
    successes: inside.length - failed.length,
    failures: failed.length,
    errors: Object.fromEntries(count(failed.map((a) => a.errorClass!))),
    statuses: Object.fromEntries(
      count(failed.filter((a) => a.responseStatus !== null).map((a) => `${Math.floor(a.responseStatus! / 100)}xx`)),
    ),
    p50: pct(0.5),
    p95: pct(0.95),
    p99: pct(0.99),
  };
}

function assertMatches(series: any, attempts: Attempt[]) {
  let total = 0;
  for (const b of series.buckets) {
    const e = expected(attempts, Date.parse(b.start), Date.parse(b.end));
    total += b.attempts;
    assert.deepEqual(
      {
        attempts: b.attempts,
        successes: b.successes,
        failures: b.failures,
        errors: Object.fromEntries(b.failuresByErrorClass.map((x: any) => [x.errorClass, x.count])),
        statuses: Object.fromEntries(b.failuresByStatusClass.map((x: any) => [x.statusClass, x.count])),
        p50: b.latencyP50Ms,
        p95: b.latencyP95Ms,
        p99: b.latencyP99Ms,
      },
      e,
      `bucket ${b.start}`,
    );
  }
  assert.equal(total, attempts.length, 'every attempt is in the window');
}

test('Webhook.health matches the stored attempts bucket by bucket (minutes and hours)', async () => {
  for (const [window, bucket, count] of [
    ['1h', '5m', 12],
    ['1d', '1h', 24],
  ] as const) {
    for (const id of Object.values(ids)) {
      const res = await gql(
        `query($id: ID!, $w: String!, $b: String!) { webhook(id: $id) { health(window: $w, bucket: $b) { ${SERIES} } } }`,
        {
          id,
          w: window,
          b: bucket,
        },
      );
      assert.deepEqual(res.errors, undefined);
      const series = res.data.webhook.health;
      assert.equal(series.buckets.length, count);
      assertMatches(series, await storedAttempts(id));
    }
  }
  const bad = await storedAttempts(ids.bad);
  assert.ok(bad.every((a) => a.errorClass === 'HTTP_ERROR' && a.responseStatus === 503));
  const refused = await storedAttempts(ids.refused);
  assert.ok(refused.every((a) => a.errorClass === 'CONNECTION_REFUSED'));
});

test('deliveryHealth is the whole account; another tenant sees none of it', async () => {
  const res = await gql(`query { deliveryHealth(window: "2h", bucket: "10m") { ${SERIES} } }`);
  assert.deepEqual(res.errors, undefined);
  assert.equal(res.data.deliveryHealth.bucketSeconds, 600);
  assertMatches(res.data.deliveryHealth, await storedAttempts());
  const tenant = await createTenant('health-tenant');
  const theirs = client(app.url, tenant.apiKey);
  const other = await theirs(`query { deliveryHealth(window: "2h", bucket: "10m") { buckets { attempts } } }`);
  assert.deepEqual(other.errors, undefined);
  assert.equal(
    other.data.deliveryHealth.buckets.reduce((n: number, b: { attempts: number }) => n + b.attempts, 0),
    0,
  );
  const mine = await theirs(`query($id: ID!) { webhook(id: $id) { health(window: "1h", bucket: "5m") { buckets { attempts } } } }`, {
    id: ids.ok,
  });
  assert.equal(mine.data.webhook, null);
});

test('window and bucket are checked: typed errors naming the argument', async () => {
  for (const [window, bucket, field] of [
    ['24x', '5m', 'window'],
    ['24h', '7m', 'bucket'],
    ['1h', '1m', 'bucket'],
    ['7d', '5m', 'bucket'],
    ['365d', '1d', 'window'],
  ]) {
    const res = await gql(`query($w: String!, $b: String!) { deliveryHealth(window: $w, bucket: $b) { from } }`, { w: window, b: bucket });
    assert.equal(res.errors?.[0].extensions?.code, 'BAD_USER_INPUT', `${window}/${bucket}`);
    assert.deepEqual(res.errors?.[0].extensions?.field, [field]);
  }
});

test('webhook.state_changed says why: the last failures (status code, error class) and the last response body excerpt', async () => {
  const res = await gql(`query { events(first: 20, type: "webhook.state_changed") { nodes { payload } } }`);
  const byWebhook = new Map(res.data.events.nodes.map((n: { payload: any }) => [n.payload.webhook.id, n.payload]));
  const bad: any = byWebhook.get(ids.bad);
  assert.equal(bad.webhook.state, 'TOO_MANY_ERRORS');
  assert.equal(bad.recentFailures.length, 3);
  for (const f of bad.recentFailures) {
    assert.equal(f.statusCode, 503);
    assert.equal(f.errorClass, 'HTTP_ERROR');
  }
  assert.ok(Date.parse(bad.recentFailures[0].at) >= Date.parse(bad.recentFailures[2].at), 'newest first');
  assert.equal(bad.lastResponseBodyExcerpt, 'Down for maintenance until 17:00 UTC; see status.example.com');
  const refused: any = byWebhook.get(ids.refused);
  assert.equal(refused.recentFailures.length, 3);
  assert.deepEqual(
    refused.recentFailures.map((f: any) => [f.statusCode, f.errorClass]),
    Array(3).fill([null, 'CONNECTION_REFUSED']),
  );
  assert.equal(refused.lastResponseBodyExcerpt, null);
});
