// One gated webhook's claim (see src/db/stores/gated.ts): as many of its due
// deliveries as its policy and the worker's free slots allow now (for an
// ordered webhook, its head alone). A rate
// limit and a circuit probe are decided under the webhook's row lock: the
// limiter's state and the circuit are read, the allowed deliveries claimed
// and both advanced in one transaction, so instances claiming for the same
// webhook take turns: together they never exceed the limit, and only one of
// them sends a probe.
import type { Clock } from '../base/clock.js';
import type { ClaimedDelivery } from '../db/stores/deliveries.js';
import { claimGated, claimHead, lockGate, setRateAllowAt, type GatedWebhook } from '../db/stores/gated.js';
import { setCircuit } from '../db/stores/webhooks.js';
import type { Sql } from '../db/sql.js';
import { circuitOf, circuitRow, probeDue, probing } from './circuit.js';
import { rateAfter, rateAllowance, ratePlan } from './rateLimit.js';

export interface GatedClaimRequest {
  owner: string;
  /** Also how long a probe may go unanswered before it counts as lost. */
  leaseMs: number;
  /** The worker's free slots for this webhook (and its account). */
  room: number;
}

export interface GatedClaimResult {
  claimed: ClaimedDelivery[];
  /** When the webhook's limiter allows its next delivery, if that is later than now. */
  nextAllowedAt: Date | null;
}

const NONE: GatedClaimResult = { claimed: [], nextAllowedAt: null };

export async function claimForGatedWebhook(sql: Sql, clock: Clock, w: GatedWebhook, req: GatedClaimRequest): Promise<GatedClaimResult> {
  const claim = { webhookId: w.id, owner: req.owner, leaseMs: req.leaseMs };
  // An ordered webhook takes its head only, and only while none of its deliveries is leased.
  const take = async (on: Sql, limit: number, now: Date): Promise<ClaimedDelivery[]> =>
    limit <= 0 ? [] : w.ordered ? claimHead(on, claim, now) : claimGated(on, { ...claim, limit }, now);
  // A concurrency of its own, or ordering, needs no lock: the worker's room
  // is the limit, and the head's lease is taken atomically.
  if (w.rateLimit === null && w.circuitState === 'CLOSED') return { claimed: await take(sql, req.room, clock.now()), nextAllowedAt: null };
  return sql.tx(async (tx) => {
    const gate = await lockGate(tx, w.id);
    // The time is read once the lock is held: a claim that waited for another
    // instance's must not pace itself from before that one.
    const now = clock.now();
    if (!gate || gate.state !== 'ACTIVE') return NONE;
    let limit = req.room;
    const circuit = circuitOf(gate);
    const probe = circuit.state !== 'CLOSED';
    if (probe) {
      // Paused but for one probe once the cool-down is over (or the last probe was lost).
      if (!probeDue(circuit, now)) return NONE;
      limit = Math.min(limit, 1);
    }
    const plan = gate.rateLimit === null ? null : ratePlan(gate.rateLimit);
    const allowAt = gate.rateAllowAt?.getTime() ?? null;
    if (plan) {
      const allowed = rateAllowance(allowAt, now.getTime(), plan);
      if (allowed <= 0) return { claimed: [], nextAllowedAt: gate.rateAllowAt };
      limit = Math.min(limit, allowed);
    }
    const claimed = await take(tx, limit, now);
    if (!claimed.length) return NONE;
    let nextAllowedAt: Date | null = null;
    if (plan) {
      const next = rateAfter(allowAt, now.getTime(), claimed.length, plan);
      await setRateAllowAt(tx, w.id, next === null ? null : new Date(next));
      if (next !== null && next > now.getTime()) nextAllowedAt = new Date(next);
    }
    if (probe) {
      const row = await setCircuit(tx, w.id, circuitRow(probing(circuit, now, req.leaseMs)));
      if (row) tx.afterCommit('webhook.stateChanged', row);
    }
    return { claimed, nextAllowedAt };
  });
}
