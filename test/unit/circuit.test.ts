// The circuit breaker's transitions: pure functions, no app.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOSED_CIRCUIT,
  circuitAfterAttempts,
  circuitOf,
  circuitRow,
  probeDue,
  probing,
  type Circuit,
  type CircuitSettings,
} from '../../src/dispatch/circuit.js';

const S: CircuitSettings = { openAfter: 5, cooldownMs: 30_000, maxCooldownMs: 120_000, disableAfterMs: 3_600_000 };
const T0 = new Date('2026-01-01T00:00:00.000Z');
const after = (ms: number) => new Date(T0.getTime() + ms);
const fail = (failures = 1) => ({ succeeded: false, failures });
const success = { succeeded: true, failures: 0 };

const open = (openedAt = T0, cooldownMs = S.cooldownMs, from = openedAt): Circuit => ({
  state: 'OPEN',
  openedAt,
  nextProbeAt: new Date(from.getTime() + cooldownMs),
  cooldownMs,
});

describe('circuitAfterAttempts', () => {
  test('CLOSED stays closed below the threshold', () => {
    const step = circuitAfterAttempts(CLOSED_CIRCUIT, fail(4), 4, S, T0);
    assert.deepEqual(step, { circuit: CLOSED_CIRCUIT, changed: false, disable: false });
  });

  test('CLOSED opens at the threshold, with the first cool-down', () => {
    const step = circuitAfterAttempts(CLOSED_CIRCUIT, fail(), 5, S, T0);
    assert.deepEqual(step, { circuit: open(), changed: true, disable: false });
  });

  test('a success closes an open or half-open circuit; a closed one stays unchanged', () => {
    assert.deepEqual(circuitAfterAttempts(open(), success, 0, S, after(1)), { circuit: CLOSED_CIRCUIT, changed: true, disable: false });
    const half = probing(open(), after(30_000), 60_000);
    assert.deepEqual(circuitAfterAttempts(half, success, 0, S, after(30_001)).circuit, CLOSED_CIRCUIT);
    assert.equal(circuitAfterAttempts(CLOSED_CIRCUIT, success, 0, S, T0).changed, false);
  });

  test('a failed probe reopens the circuit, the cool-down doubled from the failure, openedAt kept', () => {
    const half = probing(open(), after(30_000), 60_000);
    const step = circuitAfterAttempts(half, fail(), 6, S, after(30_500));
    assert.deepEqual(step.circuit, open(T0, 60_000, after(30_500)));
    assert.equal(step.changed, true);
  });

  test('the cool-down doubles up to the cap', () => {
    let c: Circuit = open();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      c = circuitAfterAttempts(probing(c, c.nextProbeAt!, 1000), fail(), 6 + i, S, c.nextProbeAt!).circuit;
      seen.push(c.cooldownMs);
    }
    assert.deepEqual(seen, [60_000, 120_000, 120_000, 120_000, 120_000]);
  });

  test('failures while OPEN (deliveries sent before it opened) change nothing', () => {
    assert.deepEqual(circuitAfterAttempts(open(), fail(2), 8, S, after(10)), { circuit: open(), changed: false, disable: false });
  });

  test('success then failures in one batch: closed, then opened afresh if the new streak reaches the threshold', () => {
    const batch = { succeeded: true, failures: 5 };
    assert.deepEqual(circuitAfterAttempts(open(), batch, 5, S, after(99)).circuit, open(after(99)));
    assert.deepEqual(circuitAfterAttempts(open(), { succeeded: true, failures: 2 }, 2, S, after(99)).circuit, CLOSED_CIRCUIT);
  });

  test('disable only once a failure comes when the circuit has been open for the window', () => {
    const c = open();
    assert.equal(circuitAfterAttempts(probing(c, after(3_599_000), 1000), fail(), 40, S, after(3_599_999)).disable, false);
    assert.equal(circuitAfterAttempts(probing(c, after(3_599_000), 1000), fail(), 40, S, after(3_600_000)).disable, true);
    // A success, however late, never disables.
    assert.equal(circuitAfterAttempts(c, success, 0, S, after(9_999_999)).disable, false);
  });

  test('a window of 0 disables as soon as the circuit opens (the former AUTO_DISABLE_AFTER behaviour)', () => {
    const step = circuitAfterAttempts(CLOSED_CIRCUIT, fail(), 5, { ...S, disableAfterMs: 0 }, T0);
    assert.equal(step.circuit.state, 'OPEN');
    assert.equal(step.disable, true);
  });
});

describe('probes', () => {
  test('due once the cool-down is over, or when a half-open probe is overdue; never when closed', () => {
    assert.equal(probeDue(open(), after(29_999)), false);
    assert.equal(probeDue(open(), after(30_000)), true);
    const half = probing(open(), after(30_000), 60_000);
    assert.equal(half.state, 'HALF_OPEN');
    assert.equal(probeDue(half, after(89_999)), false);
    assert.equal(probeDue(half, after(90_000)), true);
    assert.equal(probeDue(CLOSED_CIRCUIT, after(1e9)), false);
  });

  test('circuitOf and circuitRow are inverses', () => {
    const c = open();
    assert.deepEqual(circuitOf(circuitRow(c)), c);
  });
});
