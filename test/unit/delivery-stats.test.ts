// The delivery counters the delivery thread keeps between two messages
// (src/dispatch/stats.ts), the labels they map to, and the small pure
// helpers of the metrics endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_BUCKETS,
  bucketIndex,
  COMPLETED_SLOTS,
  DeliveryStats,
  LATENCY_BUCKETS_SECONDS,
  ROW_LENGTH,
  slotLabels,
  type CountedAttempt,
} from '../../src/dispatch/stats.js';
import { MAX_OPERATION_NAMES, operationLabel } from '../../src/server/metrics.js';
import { errorCode } from '../../src/server/graphqlTelemetry.js';
import { bearerMatches } from '../../src/server/probes.js';

const attempt = (
  accountId: string,
  status: 'SUCCEEDED' | 'FAILED',
  errorClass: string | null,
  durationMs: number,
  deliveryStatus: string | null = status,
  trigger = 'SCHEDULED',
): CountedAttempt => ({ job: { accountId }, deliveryStatus, attempt: { status, errorClass, durationMs, trigger } });

const slotOf = (labels: ReturnType<typeof slotLabels>) => {
  for (let i = 0; i < ROW_LENGTH - 2; i++) if (JSON.stringify(slotLabels(i)) === JSON.stringify(labels)) return i;
  throw new Error(`no slot for ${JSON.stringify(labels)}`);
};

test('bucketIndex: upper bounds are inclusive; past the last is +Inf', () => {
  assert.equal(bucketIndex(LATENCY_BUCKETS_SECONDS, 0), 0);
  assert.equal(bucketIndex(LATENCY_BUCKETS_SECONDS, 0.005), 0);
  assert.equal(bucketIndex(LATENCY_BUCKETS_SECONDS, 0.0051), 1);
  assert.equal(bucketIndex(LATENCY_BUCKETS_SECONDS, 60), LATENCY_BUCKETS_SECONDS.length - 1);
  assert.equal(bucketIndex(LATENCY_BUCKETS_SECONDS, 61), LATENCY_BUCKETS_SECONDS.length);
  assert.equal(bucketIndex(BATCH_BUCKETS, 64), BATCH_BUCKETS.indexOf(100));
});

test('attempts are counted by trigger, outcome and error class; final statuses apart', () => {
  const stats = new DeliveryStats(false);
  assert.equal(stats.take(), null, 'nothing counted yet');
  stats.attempt(attempt('a1', 'SUCCEEDED', null, 12));
  stats.attempt(attempt('a2', 'FAILED', 'HTTP_ERROR', 30, 'PENDING'));
  stats.attempt(attempt('a2', 'FAILED', 'HTTP_ERROR', 40, 'FAILED'));
  stats.attempt(attempt('a1', 'FAILED', 'TIMEOUT', 15_000, 'PENDING'));
  stats.attempt(attempt('a1', 'FAILED', 'HTTP_ERROR', 5, null, 'MANUAL'));
  stats.attempt(attempt('a1', 'FAILED', 'SOMETHING_NEW', 5, 'FAILED', 'PING'));
  stats.recorded(6);
  stats.claimed('scan', 3);
  stats.claimed('hinted', 2);
  const d = stats.take()!;
  assert.equal(d.rows.length, 1, 'one row without per-account labels');
  const [account, row] = d.rows[0];
  assert.equal(account, '');
  assert.equal(row[slotOf({ trigger: 'SCHEDULED', outcome: 'success', errorClass: 'none' })], 1);
  assert.equal(row[slotOf({ trigger: 'SCHEDULED', outcome: 'failure', errorClass: 'HTTP_ERROR' })], 2);
  assert.equal(row[slotOf({ trigger: 'SCHEDULED', outcome: 'failure', errorClass: 'TIMEOUT' })], 1);
  assert.equal(row[slotOf({ trigger: 'MANUAL', outcome: 'failure', errorClass: 'HTTP_ERROR' })], 1);
  assert.equal(row[slotOf({ trigger: 'PING', outcome: 'failure', errorClass: 'NETWORK' })], 1, 'unknown classes count as NETWORK');
  assert.equal(
    row.slice(0, ROW_LENGTH - 2).reduce((a, b) => a + b, 0),
    6,
  );
  assert.equal(row[COMPLETED_SLOTS.SUCCEEDED], 1);
  assert.equal(row[COMPLETED_SLOTS.FAILED], 2);
  assert.deepEqual(
    d.latency.success!.counts.reduce((a, b) => a + b, 0),
    1,
  );
  assert.equal(
    d.latency.failure!.counts.reduce((a, b) => a + b, 0),
    5,
  );
  assert.equal(d.latency.failure!.counts[bucketIndex(LATENCY_BUCKETS_SECONDS, 15)], 1, '15 s lands in its bucket');
  assert.ok(Math.abs(d.latency.failure!.sum - 15.08) < 1e-9);
  assert.deepEqual([d.records!.sum, d.claims.scan!.sum, d.claims.hinted!.sum], [6, 3, 2]);
  assert.equal(stats.take(), null, 'take() resets');
  stats.claimed('scan', 1);
  const next = stats.take()!;
  assert.deepEqual(next.rows, [], 'rows with nothing new are left out');
  assert.equal(next.latency.success, null);
  assert.equal(next.claims.scan!.sum, 1);
});

test('with per-account labels, one row per account', () => {
  const stats = new DeliveryStats(true);
  stats.attempt(attempt('a1', 'SUCCEEDED', null, 1));
  stats.attempt(attempt('a2', 'SUCCEEDED', null, 1));
  stats.attempt(attempt('a2', 'SUCCEEDED', null, 1));
  const rows = new Map(stats.take()!.rows);
  const ok = slotOf({ trigger: 'SCHEDULED', outcome: 'success', errorClass: 'none' });
  assert.deepEqual([rows.get('a1')![ok], rows.get('a2')![ok]], [1, 2]);
});

test('counting an attempt allocates no new row once the account has one', () => {
  const stats = new DeliveryStats(false);
  stats.attempt(attempt('a', 'SUCCEEDED', null, 1));
  const rows = (stats as unknown as { rows: Map<string, Float64Array> }).rows;
  const row = rows.get('');
  stats.take();
  stats.attempt(attempt('b', 'FAILED', 'DNS', 1));
  assert.equal(rows.get(''), row, 'the same row is reused after take()');
});

test('operation names: anonymous, capped in length and in number', () => {
  const seen = new Set<string>();
  assert.equal(operationLabel(seen, undefined), 'anonymous');
  assert.equal(operationLabel(seen, 'Publish'), 'Publish');
  assert.equal(operationLabel(seen, 'x'.repeat(101)), 'other');
  for (let i = 0; seen.size < MAX_OPERATION_NAMES; i++) operationLabel(seen, `Op${i}`);
  assert.equal(operationLabel(seen, 'OneTooMany'), 'other');
  assert.equal(operationLabel(seen, 'Publish'), 'Publish', 'names already seen keep their label');
});

test('error codes: only well-formed codes become labels', () => {
  assert.equal(errorCode({ extensions: { code: 'UNAUTHENTICATED' } }), 'UNAUTHENTICATED');
  assert.equal(errorCode({ extensions: {} }), 'OTHER');
  assert.equal(errorCode({ extensions: { code: 'x y' } }), 'OTHER');
  assert.equal(errorCode({ extensions: { code: 42 } }), 'OTHER');
});

test('bearer tokens are compared exactly', () => {
  assert.equal(bearerMatches('Bearer s3cret', 's3cret'), true);
  assert.equal(bearerMatches('bearer   s3cret ', 's3cret'), true);
  assert.equal(bearerMatches('Bearer s3cre', 's3cret'), false);
  assert.equal(bearerMatches('Basic s3cret', 's3cret'), false);
  assert.equal(bearerMatches(undefined, 's3cret'), false);
});
