// Per-webhook delivery policy: the input rules, the effective defaults and
// the retry schedule a delivery follows. Pure functions, no app.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPolicy, effectiveDefaults, MAX_RETRY_DELAY_S } from '../../src/domain/webhooks/deliveryPolicy.js';
import { retryScheduleFor } from '../../src/dispatch/policy.js';

const f = (name: string) => ['input', name];

describe('checkPolicy', () => {
  test('values in range pass through as the patch; absent and null stay distinct', () => {
    const input = { retrySchedule: [0, 5, MAX_RETRY_DELAY_S], timeoutMs: null, maxConcurrency: 1, rateLimit: 10_000, ordered: true };
    const { errors, patch } = checkPolicy(input, f);
    assert.deepEqual(errors, []);
    assert.deepEqual(patch, input);
    assert.deepEqual(checkPolicy({}, f).patch, {
      retrySchedule: undefined,
      timeoutMs: undefined,
      maxConcurrency: undefined,
      rateLimit: undefined,
      ordered: undefined,
    });
  });

  test('an empty schedule is allowed: no retries', () => {
    assert.deepEqual(checkPolicy({ retrySchedule: [] }, f).errors, []);
  });

  test('each bound is checked and named', () => {
    const fields = (input: Parameters<typeof checkPolicy>[0]) => checkPolicy(input, f).errors.map((e) => e.field);
    assert.deepEqual(fields({ timeoutMs: 0 }), [['input', 'timeoutMs']]);
    assert.deepEqual(fields({ timeoutMs: 600_000 }), []);
    assert.deepEqual(fields({ timeoutMs: 600_001 }), [['input', 'timeoutMs']]);
    assert.deepEqual(fields({ maxConcurrency: 0 }), [['input', 'maxConcurrency']]);
    assert.deepEqual(fields({ maxConcurrency: 10_001 }), [['input', 'maxConcurrency']]);
    assert.deepEqual(fields({ rateLimit: 0 }), [['input', 'rateLimit']]);
    assert.deepEqual(fields({ rateLimit: 10_001 }), [['input', 'rateLimit']]);
    assert.deepEqual(fields({ retrySchedule: [1, -1, MAX_RETRY_DELAY_S + 1] }), [
      ['input', 'retrySchedule', '1'],
      ['input', 'retrySchedule', '2'],
    ]);
    assert.deepEqual(fields({ retrySchedule: Array.from({ length: 51 }, () => 1) }), [['input', 'retrySchedule']]);
  });
});

describe('effectiveDefaults', () => {
  test('the global settings, the schedule in seconds (fractions kept)', () => {
    assert.deepEqual(effectiveDefaults({ retryScheduleMs: [50, 5000], deliveryTimeoutMs: 15_000, webhookConcurrency: 8 }), {
      retrySchedule: [0.05, 5],
      timeoutMs: 15_000,
      maxConcurrency: 8,
      rateLimit: null,
      ordered: false,
    });
  });
});

describe('retryScheduleFor', () => {
  const global = [5_000, 300_000];
  test("a webhook's own schedule (seconds) wins, in milliseconds", () => {
    assert.deepEqual(retryScheduleFor([1, 60], global), [1_000, 60_000]);
  });
  test('an empty schedule is kept: no retries', () => {
    assert.deepEqual(retryScheduleFor([], global), []);
  });
  test('none (null) is the global schedule, the same array', () => {
    assert.equal(retryScheduleFor(null, global), global);
  });
});
