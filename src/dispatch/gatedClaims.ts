// One gated webhook's claim (see src/db/stores/gated.ts): as many of its due
// deliveries as its policy and the worker's free slots allow now. A rate
// limit is applied under the webhook's row lock: the limiter's state is read,
// the allowed deliveries are claimed and the state is advanced in one
// transaction, so instances claiming for the same webhook take turns and
// together never exceed it.
import type { Clock } from '../base/clock.js';
import type { ClaimedDelivery } from '../db/stores/deliveries.js';
import { claimGated, lockGate, setRateAllowAt, type GatedWebhook } from '../db/stores/gated.js';
import type { Sql } from '../db/sql.js';
import { rateAfter, rateAllowance, ratePlan } from './rateLimit.js';

export interface GatedClaimRequest {
  owner: string;
  leaseMs: number;
  /** The worker's free slots for this webhook (and its account). */
  room: number;
}

export interface GatedClaimResult {
  claimed: ClaimedDelivery[];
  /** When the webhook's limiter allows its next delivery, if that is later than now. */
  nextAllowedAt: Date | null;
}

export async function claimForGatedWebhook(sql: Sql, clock: Clock, w: GatedWebhook, req: GatedClaimRequest): Promise<GatedClaimResult> {
  const claim = { webhookId: w.id, owner: req.owner, leaseMs: req.leaseMs };
  if (w.rateLimit === null) return { claimed: await claimGated(sql, { ...claim, limit: req.room }, clock.now()), nextAllowedAt: null };
  return sql.tx(async (tx) => {
    const gate = await lockGate(tx, w.id);
    // The time is read once the lock is held: a claim that waited for another
    // instance's must not pace itself from before that one.
    const now = clock.now();
    if (!gate || gate.state !== 'ACTIVE') return { claimed: [], nextAllowedAt: null };
    if (gate.rateLimit === null) return { claimed: await claimGated(tx, { ...claim, limit: req.room }, now), nextAllowedAt: null };
    const plan = ratePlan(gate.rateLimit);
    const allowAt = gate.rateAllowAt?.getTime() ?? null;
    const allowed = rateAllowance(allowAt, now.getTime(), plan);
    if (allowed <= 0) return { claimed: [], nextAllowedAt: gate.rateAllowAt };
    const claimed = await claimGated(tx, { ...claim, limit: Math.min(req.room, allowed) }, now);
    const next = rateAfter(allowAt, now.getTime(), claimed.length, plan);
    if (claimed.length) await setRateAllowAt(tx, w.id, next === null ? null : new Date(next));
    return { claimed, nextAllowedAt: next !== null && next > now.getTime() ? new Date(next) : null };
  });
}
