// A rate-limited webhook's sends, paced again where they leave this worker.
//
// The shared limiter (src/dispatch/rateLimit.ts, applied in gatedClaims.ts)
// paces claims. Between a claim and its request there is work (reading the
// event, extending leases) and, on a loaded host, a stalled event loop. If
// one request leaves 150 ms after its claim and the next leaves on time, the
// two reach the receiver 40 ms apart instead of 110, and a 1-second window
// there can hold 11 requests for a limit of 10 (CI saw exactly that). So
// each worker also keeps the same plan per webhook at send time: a send
// that would come too soon after this worker's previous ones waits the
// difference. In steady state claims already arrive at the paced rate and
// nothing waits; after a stall, at most the late few do, by less than an
// interval each.
import { rateAfter, ratePlan } from './rateLimit.js';

/** Entries kept before idle ones are dropped (an idle entry means the same as none). */
const PRUNE_AT = 10_000;

export class SendPacer {
  /** Webhook id → the limiter's next-allowed time for this worker's sends (ms, on the caller's clock). */
  private readonly allowAt = new Map<string, number>();

  /**
   * Reserves the next send of a webhook limited to `perSecond` (none: not
   * limited) and returns how many ms from `now` it must wait for it.
   */
  reserve(webhookId: string, perSecond: number | null, now: number): number {
    if (perSecond === null) {
      this.allowAt.delete(webhookId);
      return 0;
    }
    const plan = ratePlan(perSecond);
    const allowAt = this.allowAt.get(webhookId) ?? null;
    // The limiter allows one more as soon as its next-allowed time has come.
    const at = allowAt === null ? now : Math.max(now, allowAt);
    if (this.allowAt.size >= PRUNE_AT) this.prune(now);
    this.allowAt.set(webhookId, rateAfter(allowAt, at, 1, plan)!);
    return at - now;
  }

  /** How many webhooks it keeps a state for. */
  get size(): number {
    return this.allowAt.size;
  }

  /** Drops states that no longer hold anything back: a full limiter needs no entry. */
  private prune(now: number): void {
    // The limiter's tolerance is under its 1-second window plus guard, so a
    // next-allowed time more than 2 s past holds back no send.
    for (const [id, at] of this.allowAt) if (at + 2_000 <= now) this.allowAt.delete(id);
  }
}
