// Delivery policy: pure decisions about retries, failures and streaks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decide,
  failureLabel,
  isSuccess,
  nextRetryDelay,
  streaks,
  tooManyFailures,
  type AttemptResult,
  type StreakInput,
} from '../../src/dispatch/policy.js';

const SCHEDULE = [1_000, 60_000, 3_600_000] as const;
/** The largest double below 1, as Math.random() can return. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;
const AT = new Date('2024-05-01T12:00:00.000Z');

const ok = (status = 200): AttemptResult => ({ status, error: null, retryAfterMs: null });
const http = (status: number, retryAfterMs: number | null = null): AttemptResult => ({ status, error: null, retryAfterMs });
const network: AttemptResult = {
  status: null,
  error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 192.0.2.1:443' },
  retryAfterMs: null,
};

describe('isSuccess', () => {
  test('2xx only', () => {
    for (const s of [200, 201, 204, 299]) assert.equal(isSuccess({ status: s }), true, String(s));
    for (const s of [null, 100, 199, 300, 301, 404, 410, 500]) assert.equal(isSuccess({ status: s }), false, String(s));
  });
});

describe('nextRetryDelay', () => {
  test('uses the n-th delay (1-based) with ±20% jitter', () => {
    assert.equal(nextRetryDelay(SCHEDULE, 1, null, 0.5), 1_000);
    assert.equal(nextRetryDelay(SCHEDULE, 2, null, 0.5), 60_000);
    assert.equal(nextRetryDelay(SCHEDULE, 3, null, 0.5), 3_600_000);
  });

  test('jitter bounds: random 0 gives 80%, random just under 1 gives 120% (rounded)', () => {
    for (const [i, base] of SCHEDULE.entries()) {
      assert.equal(nextRetryDelay(SCHEDULE, i + 1, null, 0), base * 0.8, `low bound of ${base}`);
      assert.equal(nextRetryDelay(SCHEDULE, i + 1, null, ALMOST_ONE), base * 1.2, `high bound of ${base}`);
    }
  });

  test('jitter stays within [0.8, 1.2] × base and is a whole number of ms', () => {
    for (let k = 0; k <= 100; k++) {
      const r = Math.min(k / 100, ALMOST_ONE);
      const d = nextRetryDelay([1_234], 1, null, r)!;
      assert.ok(Number.isInteger(d), `${d} is not whole`);
      assert.ok(d >= 987 && d <= 1_481, `${d} out of bounds for random ${r}`);
    }
    // Rises with random, so different workers spread their retries.
    assert.ok(nextRetryDelay([1_000], 1, null, 0.25)! < nextRetryDelay([1_000], 1, null, 0.75)!);
  });

  test('null once the schedule is used up', () => {
    assert.equal(nextRetryDelay(SCHEDULE, 4, null, 0.5), null);
    assert.equal(nextRetryDelay(SCHEDULE, 99, null, 0.5), null);
    assert.equal(nextRetryDelay([], 1, null, 0.5), null);
    // Retry-After does not extend the schedule.
    assert.equal(nextRetryDelay(SCHEDULE, 4, 1_000, 0.5), null);
  });

  test('Retry-After is clamped to [base, 2 × base], without jitter', () => {
    for (const random of [0, 0.5, ALMOST_ONE]) {
      assert.equal(nextRetryDelay(SCHEDULE, 2, 0, random), 60_000, 'sooner than planned: base');
      assert.equal(nextRetryDelay(SCHEDULE, 2, 59_999, random), 60_000);
      assert.equal(nextRetryDelay(SCHEDULE, 2, 60_000, random), 60_000);
      assert.equal(nextRetryDelay(SCHEDULE, 2, 90_000, random), 90_000, 'within range: as asked');
      assert.equal(nextRetryDelay(SCHEDULE, 2, 120_000, random), 120_000);
      assert.equal(nextRetryDelay(SCHEDULE, 2, 120_001, random), 120_000, 'later than twice: 2 × base');
      assert.equal(nextRetryDelay(SCHEDULE, 2, 86_400_000, random), 120_000);
    }
  });
});

describe('decide', () => {
  test('a success settles the delivery, whatever the trigger', () => {
    for (const trigger of ['SCHEDULED', 'MANUAL', 'PING'] as const) {
      for (const status of [200, 204, 299]) {
        assert.deepEqual(
          decide(ok(status), trigger, 1, SCHEDULE, AT, 0.5),
          { deliveryStatus: 'SUCCEEDED', nextAttemptAt: null, gone: false },
          `${trigger} ${status}`,
        );
      }
    }
    // Even after the schedule is used up.
    assert.equal(decide(ok(), 'SCHEDULED', 10, SCHEDULE, AT, 0.5).deliveryStatus, 'SUCCEEDED');
  });

  test('a failed scheduled attempt stays PENDING for the next delay after `at`', () => {
    for (const result of [http(500), http(404), http(301), network]) {
      const d = decide(result, 'SCHEDULED', 1, SCHEDULE, AT, 0.5);
      assert.equal(d.deliveryStatus, 'PENDING');
      assert.equal(d.nextAttemptAt?.getTime(), AT.getTime() + 1_000);
      assert.equal(d.gone, false);
    }
    assert.equal(decide(http(500), 'SCHEDULED', 3, SCHEDULE, AT, 0).nextAttemptAt?.getTime(), AT.getTime() + 3_600_000 * 0.8);
    // Retry-After goes through nextRetryDelay's clamp.
    assert.equal(decide(http(503, 1_500), 'SCHEDULED', 1, SCHEDULE, AT, 0).nextAttemptAt?.getTime(), AT.getTime() + 1_500);
    assert.equal(decide(http(429, 10_000), 'SCHEDULED', 1, SCHEDULE, AT, 0).nextAttemptAt?.getTime(), AT.getTime() + 2_000);
    assert.equal(AT.toISOString(), '2024-05-01T12:00:00.000Z', '`at` is not changed');
  });

  test('a failed scheduled attempt past the schedule fails the delivery', () => {
    assert.equal(decide(http(500), 'SCHEDULED', SCHEDULE.length, SCHEDULE, AT, 0.5).deliveryStatus, 'PENDING');
    assert.deepEqual(decide(http(500), 'SCHEDULED', SCHEDULE.length + 1, SCHEDULE, AT, 0.5), {
      deliveryStatus: 'FAILED',
      nextAttemptAt: null,
      gone: false,
    });
    assert.deepEqual(decide(network, 'SCHEDULED', 1, [], AT, 0.5), { deliveryStatus: 'FAILED', nextAttemptAt: null, gone: false });
  });

  test('a failed MANUAL attempt leaves the delivery as it was', () => {
    for (const result of [http(500), network, http(503, 1_000)]) {
      assert.deepEqual(decide(result, 'MANUAL', 1, SCHEDULE, AT, 0.5), { deliveryStatus: null, nextAttemptAt: null, gone: false });
    }
  });

  test('a failed PING fails at once, with no retry', () => {
    for (const result of [http(500), network, http(503, 1_000)]) {
      assert.deepEqual(decide(result, 'PING', 1, SCHEDULE, AT, 0.5), { deliveryStatus: 'FAILED', nextAttemptAt: null, gone: false });
    }
  });

  test('410 Gone marks the webhook gone on every trigger; the delivery follows the usual rules', () => {
    const scheduled = decide(http(410), 'SCHEDULED', 1, SCHEDULE, AT, 0.5);
    assert.equal(scheduled.gone, true);
    assert.equal(scheduled.deliveryStatus, 'PENDING');
    assert.deepEqual(decide(http(410), 'SCHEDULED', 4, SCHEDULE, AT, 0.5), { deliveryStatus: 'FAILED', nextAttemptAt: null, gone: true });
    assert.deepEqual(decide(http(410), 'MANUAL', 1, SCHEDULE, AT, 0.5), { deliveryStatus: null, nextAttemptAt: null, gone: true });
    assert.deepEqual(decide(http(410), 'PING', 1, SCHEDULE, AT, 0.5), { deliveryStatus: 'FAILED', nextAttemptAt: null, gone: true });
    // Other 4xx are not "gone".
    for (const s of [400, 404, 409, 411]) assert.equal(decide(http(s), 'SCHEDULED', 1, SCHEDULE, AT, 0.5).gone, false, String(s));
  });
});

describe('failureLabel', () => {
  test('a transport error: "CODE: message"', () => {
    assert.equal(failureLabel(network), 'ECONNREFUSED: connect ECONNREFUSED 192.0.2.1:443');
  });

  test('a long transport error is cut to 500 characters', () => {
    const label = failureLabel({ status: null, error: { code: 'E', message: 'x'.repeat(1_000) }, retryAfterMs: null });
    assert.equal(label, `E: ${'x'.repeat(497)}`);
    assert.equal(label!.length, 500);
  });

  test('a non-2xx response: "HTTP <status>"', () => {
    assert.equal(failureLabel(http(500)), 'HTTP 500');
    assert.equal(failureLabel(http(410)), 'HTTP 410');
    assert.equal(failureLabel(http(302)), 'HTTP 302');
    // A response that arrived wins over an error recorded beside it (a body read error, say).
    assert.equal(failureLabel({ status: 502, error: { code: 'E', message: 'body' }, retryAfterMs: null }), 'HTTP 502');
  });

  test('null for a success, or when there is nothing to say', () => {
    assert.equal(failureLabel(ok()), null);
    assert.equal(failureLabel(ok(204)), null);
    assert.equal(failureLabel({ status: null, error: null, retryAfterMs: null }), null);
  });
});

describe('streaks', () => {
  const fail = (webhookId: string, label: string, gone = false): StreakInput => ({ webhookId, succeeded: false, label, gone });
  const win = (webhookId: string): StreakInput => ({ webhookId, succeeded: true, label: null, gone: false });

  test('an empty batch changes nothing', () => {
    assert.deepEqual(streaks([]), []);
  });

  test('one entry per webhook, in order of first appearance', () => {
    const out = streaks([fail('b', 'HTTP 500'), win('a'), fail('b', 'HTTP 502'), fail('c', 'HTTP 404'), win('a')]);
    assert.deepEqual(
      out.map((s) => s.webhookId),
      ['b', 'a', 'c'],
    );
  });

  test('failures add up; the last failure is the last error', () => {
    assert.deepEqual(streaks([fail('a', 'HTTP 500'), fail('a', 'HTTP 502'), fail('a', 'ETIMEDOUT: timeout')]), [
      { webhookId: 'a', failures: 3, succeeded: false, lastError: 'ETIMEDOUT: timeout', gone: false },
    ]);
  });

  test('a success resets the count: only failures after the last success count', () => {
    const [failThenWin] = streaks([fail('a', 'HTTP 500'), fail('a', 'HTTP 500'), win('a')]);
    assert.equal(failThenWin.failures, 0);
    assert.equal(failThenWin.succeeded, true);

    const [winThenFail] = streaks([win('a'), fail('a', 'HTTP 500'), fail('a', 'HTTP 503')]);
    assert.deepEqual(winThenFail, { webhookId: 'a', failures: 2, succeeded: true, lastError: 'HTTP 503', gone: false });

    const [mixed] = streaks([fail('a', 'one'), win('a'), fail('a', 'two'), win('a'), fail('a', 'three')]);
    assert.deepEqual(mixed, { webhookId: 'a', failures: 1, succeeded: true, lastError: 'three', gone: false });
  });

  test('the order of the batch decides: the same attempts in another order give another streak', () => {
    const a = streaks([fail('a', 'x'), win('a')])[0];
    const b = streaks([win('a'), fail('a', 'x')])[0];
    assert.equal(a.failures, 0);
    assert.equal(b.failures, 1);
  });

  test('gone sticks once any failure in the batch said 410, even after a later success', () => {
    assert.equal(streaks([fail('a', 'HTTP 500'), fail('a', 'HTTP 410', true), fail('a', 'HTTP 500')])[0].gone, true);
    assert.equal(streaks([fail('a', 'HTTP 410', true), win('a')])[0].gone, true);
    assert.equal(streaks([fail('a', 'HTTP 500'), win('a')])[0].gone, false);
  });

  test('webhooks do not share streaks', () => {
    const out = streaks([fail('a', 'HTTP 500', true), win('b'), fail('a', 'HTTP 500'), fail('b', 'HTTP 404')]);
    assert.deepEqual(out, [
      { webhookId: 'a', failures: 2, succeeded: false, lastError: 'HTTP 500', gone: true },
      { webhookId: 'b', failures: 1, succeeded: true, lastError: 'HTTP 404', gone: false },
    ]);
  });
});

describe('tooManyFailures', () => {
  test('true from the threshold on', () => {
    assert.equal(tooManyFailures(0, 20), false);
    assert.equal(tooManyFailures(19, 20), false);
    assert.equal(tooManyFailures(20, 20), true);
    assert.equal(tooManyFailures(21, 20), true);
    assert.equal(tooManyFailures(1, 1), true);
    assert.equal(tooManyFailures(0, 1), false);
  });
});
