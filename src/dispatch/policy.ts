// Pure delivery decisions: what an attempt's result means for the delivery
// and the webhook. No I/O, no clock, no randomness of their own; unit-tested
// in test/unit/policy.test.ts.
import type { AttemptTrigger, DeliveryStatus } from '../generated/prisma/client.js';
import type { Streak } from '../db/stores/webhooks.js';

export type { Streak };

export interface AttemptResult {
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  error: { code: string; message: string } | null;
  retryAfterMs: number | null;
}

export const isSuccess = (r: Pick<AttemptResult, 'status'>) => r.status !== null && r.status >= 200 && r.status < 300;

/**
 * Delay before the attempt after failed scheduled attempt number `n` (1-based),
 * or null when the schedule is used up. `random` is in [0, 1): ±20% jitter.
 * Retry-After is honoured, but never sooner than planned nor more than twice as late.
 */
export function nextRetryDelay(scheduleMs: readonly number[], n: number, retryAfterMs: number | null, random: number): number | null {
  if (n > scheduleMs.length) return null;
  const base = scheduleMs[n - 1];
  if (retryAfterMs === null) return Math.round(base * (0.8 + random * 0.4));
  return Math.min(Math.max(retryAfterMs, base), 2 * base);
}

/**
 * The retry schedule (milliseconds) a webhook's deliveries follow: its own
 * override (a JSON array of whole seconds, as stored), or the global one.
 */
export function retryScheduleFor(override: unknown, globalMs: readonly number[]): readonly number[] {
  return Array.isArray(override) ? override.map((s) => Number(s) * 1000) : globalMs;
}

/** A short description of a failure, kept on the webhook as its last error. */
export function failureLabel(r: AttemptResult): string | null {
  if (r.error && r.status === null) return `${r.error.code}: ${r.error.message}`.slice(0, 500);
  if (r.status !== null && !isSuccess(r)) return `HTTP ${r.status}`;
  return null;
}

/** What kind of failure an attempt was, for filters and health: the transport's code, or HTTP_ERROR for a non-2xx answer. */
export const ERROR_CLASSES = [
  'TIMEOUT',
  'CONNECTION_REFUSED',
  'CONNECTION_RESET',
  'DNS',
  'TLS',
  'PRIVATE_TARGET',
  'REDIRECT',
  'NETWORK',
  'HTTP_ERROR',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** The class of a failed attempt's result, or null for a success. Unknown transport codes are NETWORK. */
export function errorClassOf(r: AttemptResult): ErrorClass | null {
  if (isSuccess(r)) return null;
  if (r.error) return (ERROR_CLASSES as readonly string[]).includes(r.error.code) ? (r.error.code as ErrorClass) : 'NETWORK';
  return r.status !== null ? 'HTTP_ERROR' : 'NETWORK';
}

export interface Decision {
  /** The delivery's new status, or null to leave it (a failed manual try). */
  deliveryStatus: DeliveryStatus | null;
  nextAttemptAt: Date | null;
  /** The receiver said 410 Gone: stop the webhook. */
  gone: boolean;
}

/** What happens to a delivery after attempt number `attemptNumber` with this result, finished at `at`. */
export function decide(
  result: AttemptResult,
  trigger: AttemptTrigger,
  attemptNumber: number,
  scheduleMs: readonly number[],
  at: Date,
  random: number,
): Decision {
  const gone = result.status === 410;
  if (isSuccess(result)) return { deliveryStatus: 'SUCCEEDED', nextAttemptAt: null, gone };
  if (trigger === 'MANUAL') return { deliveryStatus: null, nextAttemptAt: null, gone };
  if (trigger === 'PING') return { deliveryStatus: 'FAILED', nextAttemptAt: null, gone };
  const delay = nextRetryDelay(scheduleMs, attemptNumber, result.retryAfterMs, random);
  return delay === null
    ? { deliveryStatus: 'FAILED', nextAttemptAt: null, gone }
    : { deliveryStatus: 'PENDING', nextAttemptAt: new Date(at.getTime() + delay), gone };
}

export interface StreakInput {
  webhookId: string;
  succeeded: boolean;
  label: string | null;
  gone: boolean;
}

/** Per webhook, what a batch of attempts (in order) does to its failure streak. */
export function streaks(batch: readonly StreakInput[]): Streak[] {
  const byWebhook = new Map<string, Streak>();
  for (const o of batch) {
    let s = byWebhook.get(o.webhookId);
    if (!s) byWebhook.set(o.webhookId, (s = { webhookId: o.webhookId, failures: 0, succeeded: false, lastError: null, gone: false }));
    if (o.succeeded) {
      s.succeeded = true;
      s.failures = 0;
    } else {
      s.failures += 1;
      s.lastError = o.label;
      s.gone ||= o.gone;
    }
  }
  return [...byWebhook.values()];
}

/** Whether a webhook with this many consecutive failures has its circuit opened (src/dispatch/circuit.ts). */
export const tooManyFailures = (consecutiveFailures: number, threshold: number) => consecutiveFailures >= threshold;
