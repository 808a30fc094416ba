// The rate limiter's arithmetic (GCRA on one stored timestamp): how many
// deliveries a claim may take, and the state it leaves. Simulated claims
// check the promise itself: no span of 1000 + RATE_GUARD_MS ms holds more
// than the limit, whatever the claim times.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RATE_GUARD_MS, rateAfter, rateAllowance, ratePlan } from '../../src/dispatch/rateLimit.js';

describe('ratePlan', () => {
  test('one at a time below 40 per second, paced over 1000 + guard ms', () => {
    assert.deepEqual(ratePlan(10), { intervalMs: 110, burst: 1, toleranceMs: 0 });
    assert.equal(ratePlan(1).intervalMs, 1100);
    assert.equal(ratePlan(39).burst, 1);
    assert.equal(ratePlan(40).burst, 2);
    assert.equal(ratePlan(1000).burst, 50);
  });
});

describe('rateAllowance and rateAfter', () => {
  const plan = ratePlan(10);
  test('a fresh limiter allows one burst now, then one per interval', () => {
    assert.equal(rateAllowance(null, 1_000, plan), 1);
    const next = rateAfter(null, 1_000, 1, plan)!;
    assert.equal(next, 1_110);
    assert.equal(rateAllowance(next, 1_109, plan), 0);
    assert.equal(rateAllowance(next, 1_110, plan), 1);
  });

  test('an idle limiter does not save up more than one burst', () => {
    const big = ratePlan(200); // burst 10
    assert.equal(rateAllowance(0, 1_000_000, big), big.burst);
  });

  test('taking part of a burst leaves the rest for the same moment (less one, at most: the state is rounded up to a whole ms)', () => {
    const big = ratePlan(200);
    const after = rateAfter(null, 0, 4, big)!;
    const left = rateAllowance(after, 0, big);
    assert.ok(left === big.burst - 4 || left === big.burst - 5, String(left));
  });

  test('taking nothing leaves the state as it was', () => {
    assert.equal(rateAfter(1234, 5000, 0, plan), 1234);
    assert.equal(rateAfter(null, 5000, 0, plan), null);
  });
});

/**
 * Claims at random moments and, like the worker's timer, soon after the
 * next-allowed time; each takes all it may, or sometimes fewer. Returns
 * every claim time.
 */
function simulate(perSecond: number, seed: number, durationMs = 20_000): number[] {
  const plan = ratePlan(perSecond);
  let state: number | null = null;
  let x = seed;
  const random = () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x / 2 ** 31);
  const times: number[] = [];
  for (let now = 0; now < durationMs;) {
    const n = rateAllowance(state, now, plan);
    const take = random() < 0.2 ? Math.floor(random() * n) : n;
    for (let i = 0; i < take; i++) times.push(now);
    state = rateAfter(state, now, take, plan);
    const step = Math.floor(random() * 40);
    now = state !== null && state > now ? Math.min(now + step, state + Math.floor(random() * 3)) : now + step;
  }
  return times;
}

/** The most claims in any half-open span of `span` ms. */
function densest(times: number[], span: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j] - times[i] >= span) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('the promise', () => {
  for (const perSecond of [1, 3, 7, 10, 25, 40, 99, 250, 1000]) {
    test(`${perSecond}/s: never more than ${perSecond} in any ${1000 + RATE_GUARD_MS} ms, and close to the rate`, () => {
      for (const seed of [1, 2, 3]) {
        const times = simulate(perSecond, seed);
        assert.ok(densest(times, 1000 + RATE_GUARD_MS) <= perSecond, `seed ${seed}: ${densest(times, 1000 + RATE_GUARD_MS)}`);
        // Greedy enough claims get near the paced rate (perSecond × 1000 / 1100).
        const rate = times.length / 20;
        assert.ok(rate >= perSecond * 0.8 * (1000 / 1100) - 0.1, `seed ${seed}: ${rate}/s`);
      }
    });
  }
});
