// A webhook's rate limit (rateLimit deliveries per second) as pure
// arithmetic: the generic cell rate algorithm (GCRA, a token bucket kept as
// one timestamp). The state is one column on the webhook, "rateAllowAt": the
// earliest time the next delivery may be claimed. Claims read and advance it
// under the webhook's row lock (src/dispatch/gatedClaims.ts), so every
// instance shares one limiter and none sleeps to enforce it.
//
// The promise is measured at the receiver: no 1-second window holds more
// than rateLimit requests. A request reaches the receiver a little after its
// claim, and not always equally late, so claims are paced for a slightly
// longer window: no span of 1000 + RATE_GUARD_MS ms holds more than
// rateLimit claims. Any two requests whose delays differ by less than the
// guard then keep the promise. The cost is throughput: a sustained rate of
// about rateLimit × 1000 / 1100 (9.1 per second for 10).
//
// Claims take up to `burst` deliveries at once (one per claim below 40 per
// second), so a high limit does not need a claim per delivery.
//
// The window arithmetic, for interval T and burst b (tolerance τ = (b − 1)·T):
// a conforming sequence has at most ceil((L + τ) / T) requests in any
// half-open span of length L. With T = (1000 + guard) / (rateLimit − b + 1)
// and L = 1000 + guard that is exactly rateLimit.

/** How much later one request may reach the receiver than another and still count as paced (ms). */
export const RATE_GUARD_MS = 100;

export interface RatePlan {
  /** Milliseconds between two deliveries at the sustained rate. */
  intervalMs: number;
  /** Deliveries one claim may take at once. */
  burst: number;
  /** (burst − 1) × interval. */
  toleranceMs: number;
}

export function ratePlan(perSecond: number): RatePlan {
  const burst = Math.max(1, Math.floor(perSecond / 20));
  const intervalMs = (1000 + RATE_GUARD_MS) / (perSecond - burst + 1);
  return { intervalMs, burst, toleranceMs: (burst - 1) * intervalMs };
}

/** Float slack, so (b − 1)·T / T still counts as b − 1. */
const EPSILON = 1e-9;

/** The limiter's theoretical arrival time, from the stored next-allowed time (null: never used, so full). */
const tatOf = (allowAt: number | null, plan: RatePlan) => (allowAt === null ? -Infinity : allowAt + plan.toleranceMs);

/** How many deliveries may be claimed at `now` (ms), given the stored next-allowed time. */
export function rateAllowance(allowAt: number | null, now: number, plan: RatePlan): number {
  if (allowAt !== null && allowAt > now) return 0;
  const start = Math.max(tatOf(allowAt, plan), now);
  return Math.min(plan.burst, Math.floor((now + plan.toleranceMs - start) / plan.intervalMs + EPSILON) + 1);
}

/**
 * The next-allowed time after `taken` deliveries were claimed at `now` (at
 * most rateAllowance's answer). Rounded up to the millisecond the column
 * keeps, so the stored state never allows more than the exact one.
 */
export function rateAfter(allowAt: number | null, now: number, taken: number, plan: RatePlan): number | null {
  if (taken <= 0) return allowAt;
  const tat = Math.max(tatOf(allowAt, plan), now) + taken * plan.intervalMs;
  return Math.ceil(tat - plan.toleranceMs - EPSILON);
}
