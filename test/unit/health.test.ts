// Health over time, the pure parts: latency bins and percentiles, what one
// attempt adds to the rollups, and the window/bucket arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binUpperMs, latencyBin, metricsOf, percentile, rollupIncrements, toBuckets } from '../../src/dispatch/health.js';
import { healthWindow, MAX_BUCKETS } from '../../src/domain/health/window.js';

test('latency bins grow by 20%: a duration is at most its bin edge and above the previous one', () => {
  assert.equal(latencyBin(0), 0);
  assert.equal(latencyBin(1), 0);
  for (const ms of [2, 3, 10, 99, 100, 101, 250, 1000, 14_999, 60_000]) {
    const b = latencyBin(ms);
    assert.ok(ms <= 1.2 ** b + 1e-6 && ms > 1.2 ** (b - 1), `${ms} ms in bin ${b}`);
    assert.ok(binUpperMs(b) >= ms && binUpperMs(b) <= Math.ceil(ms * 1.2), `${ms} → ${binUpperMs(b)}`);
  }
});

test('a histogram percentile is the bin edge of the raw percentile (same rank), or null when empty', () => {
  const durations = [5, 7, 9, 12, 40, 41, 42, 300, 310, 2000];
  const hist = new Map<number, number>();
  for (const d of durations) hist.set(latencyBin(d), (hist.get(latencyBin(d)) ?? 0) + 1);
  const sorted = [...durations].sort((x, y) => x - y);
  for (const p of [0.5, 0.95, 0.99, 0.1]) {
    const raw = sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
    assert.equal(percentile(hist, p), binUpperMs(latencyBin(raw)), `p${p * 100}`);
  }
  assert.equal(percentile(new Map(), 0.5), null);
});

test('an attempt counts once per webhook and account, per minute and per hour; failures by class and status class', () => {
  const at = new Date('2026-03-01T10:17:42.123Z');
  const base = { accountId: 'acc', webhookId: 'wh', durationMs: 120, createdAt: at };
  assert.deepEqual(metricsOf({ ...base, status: 'SUCCEEDED', responseStatus: 204, errorClass: null }).sort(), [
    'attempts',
    `latency:${latencyBin(120)}`,
    'succeeded',
  ]);
  assert.deepEqual(metricsOf({ ...base, status: 'FAILED', responseStatus: 503, errorClass: 'HTTP_ERROR' }).sort(), [
    'attempts',
    'error:HTTP_ERROR',
    `latency:${latencyBin(120)}`,
    'status:5xx',
  ]);
  assert.deepEqual(metricsOf({ ...base, status: 'FAILED', responseStatus: null, errorClass: null }).sort(), [
    'attempts',
    'error:NETWORK',
    `latency:${latencyBin(120)}`,
  ]);
  const inc = rollupIncrements([
    { ...base, status: 'SUCCEEDED', responseStatus: 200, errorClass: null },
    { ...base, status: 'SUCCEEDED', responseStatus: 200, errorClass: null },
  ]);
  const attempts = inc.filter((i) => i.key.metric === 'attempts');
  assert.deepEqual(
    attempts.map((i) => [i.key.webhookId, i.key.span, new Date(i.key.at).toISOString(), i.count]).sort(),
    [
      ['', 3600, '2026-03-01T10:00:00.000Z', 2],
      ['', 300, '2026-03-01T10:15:00.000Z', 2],
      ['wh', 3600, '2026-03-01T10:00:00.000Z', 2],
      ['wh', 300, '2026-03-01T10:15:00.000Z', 2],
    ].sort(),
  );
  // One entry per key: a statement's ON CONFLICT may touch each row once.
  assert.equal(new Set(inc.map((i) => JSON.stringify(i.key))).size, inc.length);
});

test('toBuckets fills empty buckets and derives failures', () => {
  const start = Date.parse('2026-03-01T10:00:00Z');
  const sums = new Map([
    [
      start + 300_000,
      new Map([
        ['attempts', 4],
        ['succeeded', 1],
        ['error:TIMEOUT', 2],
        ['error:HTTP_ERROR', 1],
        ['status:5xx', 1],
        [`latency:${latencyBin(50)}`, 4],
      ]),
    ],
  ]);
  const b = toBuckets(start, 300_000, 3, sums);
  assert.equal(b.length, 3);
  assert.equal(b[0].attempts, 0);
  assert.equal(b[0].latencyP50Ms, null);
  assert.equal(b[1].failures, 3);
  assert.deepEqual(b[1].failuresByErrorClass, [
    { errorClass: 'TIMEOUT', count: 2 },
    { errorClass: 'HTTP_ERROR', count: 1 },
  ]);
  assert.deepEqual(b[1].failuresByStatusClass, [{ statusClass: '5xx', count: 1 }]);
  assert.equal(b[1].latencyP99Ms, binUpperMs(latencyBin(50)));
});

test('healthWindow aligns buckets, picks hourly rollups for whole hours, and refuses bad arguments naming them', () => {
  const now = new Date('2026-03-01T10:17:42Z');
  const w = healthWindow('24h', '5m', now);
  assert.equal(w.buckets, 288);
  assert.equal(w.end.toISOString(), '2026-03-01T10:20:00.000Z');
  assert.equal(w.start.toISOString(), '2026-02-28T10:20:00.000Z');
  assert.equal(w.span, 300);
  assert.equal(healthWindow('7d', '1h', now).span, 3600);
  const refused = (window: string, bucket: string, field: string) =>
    assert.throws(
      () => healthWindow(window, bucket, now),
      (e: { extensions: { code: string; field: string[] } }) => e.extensions.code === 'BAD_USER_INPUT' && e.extensions.field[0] === field,
      `${window}/${bucket}`,
    );
  refused('24x', '5m', 'window');
  refused('0h', '5m', 'window');
  refused('24h', '30s', 'bucket');
  refused('1h', '7m', 'bucket');
  refused('1h', '2h', 'bucket');
  refused('91d', '1d', 'window');
  refused('1h', '1m', 'bucket');
  refused('1h', '7m', 'bucket');
  refused('6d', '5m', 'bucket');
  assert.equal(healthWindow('5d', '5m', now).buckets, MAX_BUCKETS);
});

test('rollupIncrements adds up what one increment per attempt, span, scope and metric would', () => {
  const start = Date.parse('2026-03-01T09:58:00Z');
  const attempts = Array.from({ length: 500 }, (_, i) => ({
    accountId: `acc${i % 3}`,
    webhookId: `wh${i % 7}`,
    status: (i % 5 === 0 ? 'FAILED' : 'SUCCEEDED') as 'FAILED' | 'SUCCEEDED',
    responseStatus: i % 10 === 0 ? null : i % 5 === 0 ? 503 : 200,
    errorClass: i % 5 === 0 ? (i % 10 === 0 ? 'TIMEOUT' : 'HTTP_ERROR') : null,
    durationMs: (i * 37) % 900,
    // Across the 10:00 hour boundary and several 5-minute buckets.
    createdAt: new Date(start + i * 1_500),
  }));
  const expected = new Map<string, number>();
  for (const a of attempts) {
    for (const span of [300, 3600]) {
      const t = a.createdAt.getTime();
      const at = t - (t % (span * 1000));
      for (const webhookId of [a.webhookId, '']) {
        for (const metric of metricsOf(a)) {
          const k = JSON.stringify([a.accountId, webhookId, span, at, metric]);
          expected.set(k, (expected.get(k) ?? 0) + 1);
        }
      }
    }
  }
  const got = new Map(
    rollupIncrements(attempts).map((i) => [
      JSON.stringify([i.key.accountId, i.key.webhookId, i.key.span, i.key.at, i.key.metric]),
      i.count,
    ]),
  );
  assert.equal(got.size, expected.size);
  assert.deepEqual([...got].sort(), [...expected].sort());
});
