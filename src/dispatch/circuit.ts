// A webhook's circuit breaker as pure transitions; the recorder applies them
// to the failures and successes it records (src/dispatch/record.ts), the
// gated claim to probes (src/dispatch/gatedClaims.ts). Unit-tested in
// test/unit/circuit.test.ts.
//
//   CLOSED --(AUTO_DISABLE_AFTER failures in a row)--> OPEN: deliveries pause
//   OPEN --(cool-down over; one delivery claimed as the probe)--> HALF_OPEN
//   HALF_OPEN --(success)--> CLOSED: the backlog resumes, oldest due first
//   HALF_OPEN --(failure)--> OPEN again, with the cool-down doubled (up to a cap)
//   any --(any success)--> CLOSED
//   open for AUTO_DISABLE_WINDOW since it first opened, and failing -> TOO_MANY_ERRORS
import type { Config } from '../base/config.js';
import type { CircuitState } from '../generated/prisma/client.js';
import type { CircuitRow } from '../db/stores/webhooks.js';
import { tooManyFailures } from './policy.js';

export type { CircuitState };

export interface Circuit {
  state: CircuitState;
  /** When it first opened in this run of failures; a failed probe keeps it. */
  openedAt: Date | null;
  /** OPEN: when the probe may be sent. HALF_OPEN: when an unanswered probe counts as lost. */
  nextProbeAt: Date | null;
  /** The cool-down the circuit is in (0 when CLOSED). */
  cooldownMs: number;
}

export interface CircuitSettings {
  /** Consecutive failed attempts that open the circuit (AUTO_DISABLE_AFTER). */
  openAfter: number;
  /** The first cool-down (CIRCUIT_COOLDOWN). */
  cooldownMs: number;
  /** The longest cool-down (CIRCUIT_MAX_COOLDOWN). */
  maxCooldownMs: number;
  /** How long the circuit stays open before the webhook is turned off (AUTO_DISABLE_WINDOW; 0: at once). */
  disableAfterMs: number;
}

export const circuitSettings = (c: Config): CircuitSettings => ({
  openAfter: c.autoDisableAfter,
  cooldownMs: c.circuitCooldownMs,
  maxCooldownMs: c.circuitMaxCooldownMs,
  disableAfterMs: c.autoDisableWindowMs,
});

export const CLOSED_CIRCUIT: Circuit = Object.freeze({ state: 'CLOSED', openedAt: null, nextProbeAt: null, cooldownMs: 0 });

export interface BatchOutcome {
  /** Some attempt in the batch succeeded. */
  succeeded: boolean;
  /** Failed attempts after the batch's last success (all of them if none succeeded). */
  failures: number;
}

export interface CircuitStep {
  circuit: Circuit;
  /** The circuit is not what it was. */
  changed: boolean;
  /** The circuit has stayed open for the auto-disable window: turn the webhook off. */
  disable: boolean;
}

const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

/**
 * The circuit after a batch of recorded attempts of one webhook.
 * `consecutiveFailures` is the webhook's streak once the batch is counted.
 */
export function circuitAfterAttempts(
  c: Circuit,
  batch: BatchOutcome,
  consecutiveFailures: number,
  s: CircuitSettings,
  now: Date,
): CircuitStep {
  let next = batch.succeeded && c.state !== 'CLOSED' ? CLOSED_CIRCUIT : c;
  if (batch.failures > 0) {
    if (next.state === 'CLOSED' && tooManyFailures(consecutiveFailures, s.openAfter)) {
      next = { state: 'OPEN', openedAt: now, nextProbeAt: at(now, s.cooldownMs), cooldownMs: s.cooldownMs };
    } else if (next.state === 'HALF_OPEN') {
      // The probe failed (or a delivery sent before the circuit opened did):
      // open again, waiting twice as long before the next probe.
      const cooldownMs = Math.min(Math.max(next.cooldownMs, s.cooldownMs) * 2, s.maxCooldownMs);
      next = { state: 'OPEN', openedAt: next.openedAt ?? now, nextProbeAt: at(now, cooldownMs), cooldownMs };
    }
  }
  const disable = batch.failures > 0 && next.state !== 'CLOSED' && now.getTime() - (next.openedAt ?? now).getTime() >= s.disableAfterMs;
  return { circuit: next, changed: next !== c, disable };
}

/** Whether a probe may be sent now: open and cooled down, or half-open with its probe lost. */
export const probeDue = (c: Circuit, now: Date): boolean => c.state !== 'CLOSED' && c.nextProbeAt !== null && c.nextProbeAt <= now;

/**
 * The circuit once a probe is claimed: HALF_OPEN until the probe is answered,
 * or until `probeLeaseMs` passes without an answer (a lost probe), when another may go.
 */
export function probing(c: Circuit, now: Date, probeLeaseMs: number): Circuit {
  return { ...c, state: 'HALF_OPEN', nextProbeAt: at(now, probeLeaseMs) };
}

/** A webhook row's circuit columns as a Circuit, and back. */
export const circuitOf = (w: CircuitRow): Circuit => ({
  state: w.circuitState,
  openedAt: w.circuitOpenedAt,
  nextProbeAt: w.circuitNextProbeAt,
  cooldownMs: w.circuitCooldownMs,
});

export const circuitRow = (c: Circuit): CircuitRow => ({
  circuitState: c.state,
  circuitOpenedAt: c.openedAt,
  circuitNextProbeAt: c.nextProbeAt,
  circuitCooldownMs: c.cooldownMs,
});
