// Input rules for a webhook's delivery policy: per-webhook overrides of the
// global delivery settings. In createWebhook a field left out (or null) means
// the global default; in updateWebhook a field left out stays as it is and
// an explicit null goes back to the global default.
import type { Config } from '../../base/config.js';
import { invalid, type UserError } from '../../base/errors.js';
import type { Override } from '../../db/stores/webhooks.js';

export const MAX_RETRY_STEPS = 50;
/** 30 days: the longest single retry delay, in seconds. */
export const MAX_RETRY_DELAY_S = 30 * 86_400;
/** The bounds of the global settings (src/base/config.ts), so an override can do what a setting can. */
export const MAX_TIMEOUT_MS = 600_000;
export const MAX_CONCURRENCY = 10_000;
/** Deliveries per second. */
export const MAX_RATE_LIMIT = 10_000;

export interface PolicyInput {
  retrySchedule?: number[] | null;
  timeoutMs?: number | null;
  maxConcurrency?: number | null;
  rateLimit?: number | null;
  ordered?: boolean | null;
}

/** The input fields above: in updateWebhook an explicit null among them is a change, not "left out". */
export const POLICY_FIELDS: ReadonlySet<string> = new Set(['retrySchedule', 'timeoutMs', 'maxConcurrency', 'rateLimit', 'ordered']);

export interface PolicyPatch {
  retrySchedule: Override<number[]>;
  timeoutMs: Override<number>;
  maxConcurrency: Override<number>;
  rateLimit: Override<number>;
  ordered: Override<boolean>;
}

function checkRange(value: number | null | undefined, min: number, max: number, name: string, field: string[]): UserError[] {
  if (value === null || value === undefined) return [];
  return value < min || value > max ? [invalid(field, `${name} must be between ${min} and ${max}, got ${value}`)] : [];
}

/** The policy fields of an input, checked; `f` makes a field path from a field name. */
export function checkPolicy(input: PolicyInput, f: (name: string) => string[]): { errors: UserError[]; patch: PolicyPatch } {
  const errors: UserError[] = [];
  const schedule = input.retrySchedule;
  if (schedule) {
    if (schedule.length > MAX_RETRY_STEPS)
      errors.push(invalid(f('retrySchedule'), `retrySchedule may have at most ${MAX_RETRY_STEPS} delays`));
    schedule.forEach((s, i) =>
      errors.push(...checkRange(s, 0, MAX_RETRY_DELAY_S, 'each retry delay (seconds)', [...f('retrySchedule'), String(i)])),
    );
  }
  errors.push(
    ...checkRange(input.timeoutMs, 1, MAX_TIMEOUT_MS, 'timeoutMs', f('timeoutMs')),
    ...checkRange(input.maxConcurrency, 1, MAX_CONCURRENCY, 'maxConcurrency', f('maxConcurrency')),
    ...checkRange(input.rateLimit, 1, MAX_RATE_LIMIT, 'rateLimit', f('rateLimit')),
  );
  const { retrySchedule, timeoutMs, maxConcurrency, rateLimit, ordered } = input;
  return { errors, patch: { retrySchedule, timeoutMs, maxConcurrency, rateLimit, ordered } };
}

/**
 * What a webhook with no overrides gets: the global settings. retrySchedule
 * is in seconds, as in RETRY_SCHEDULE (which allows fractions).
 */
export function effectiveDefaults(config: Pick<Config, 'retryScheduleMs' | 'deliveryTimeoutMs' | 'webhookConcurrency'>) {
  return {
    retrySchedule: config.retryScheduleMs.map((ms) => ms / 1000),
    timeoutMs: config.deliveryTimeoutMs,
    maxConcurrency: config.webhookConcurrency,
    /** There is no global rate limit. */
    rateLimit: null,
    ordered: false,
  };
}
