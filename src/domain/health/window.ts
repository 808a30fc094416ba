// The health series' window and bucket arguments ("24h", "5m"): checked and
// turned into aligned bucket boundaries. Pure; unit-tested in
// test/unit/health.test.ts.
import { GraphQLError } from 'graphql';
import type { Span } from '../../dispatch/health.js';

/** Most buckets one series may have (5 days in 5-minute buckets). */
export const MAX_BUCKETS = 1440;
/** The shortest bucket: the rollups' finest span (src/dispatch/health.ts). */
export const MIN_BUCKET_MS = 300_000;
/** The longest window: the rollups are pruned with the attempts (ATTEMPT_RETENTION_DAYS) anyway. */
export const MAX_WINDOW_MS = 90 * 86_400_000;

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

const bad = (arg: string, message: string) =>
  new GraphQLError(`${arg} ${message}`, { extensions: { code: 'BAD_USER_INPUT', field: [arg] } });

function duration(arg: string, raw: string): number {
  const m = /^([1-9]\d{0,5})(m|h|d)$/.exec(raw.trim());
  if (!m) throw bad(arg, `must be a duration in whole minutes, hours or days, such as "5m", "1h" or "24h"; got ${JSON.stringify(raw)}`);
  return Number(m[1]) * UNITS[m[2]];
}

export interface HealthWindow {
  /** Start of the first bucket. */
  start: Date;
  /** End of the last bucket (the current bucket's end: it is still filling). */
  end: Date;
  bucketMs: number;
  buckets: number;
  /** Which rollups to sum: hourly ones when buckets are whole hours. */
  span: Span;
}

/**
 * Buckets are aligned to multiples of their length since the epoch (UTC),
 * the last one holding `now`; the window is a whole number of buckets.
 */
export function healthWindow(window: string, bucket: string, now: Date): HealthWindow {
  const windowMs = duration('window', window);
  const bucketMs = duration('bucket', bucket);
  if (bucketMs % MIN_BUCKET_MS) throw bad('bucket', 'must be a whole number of 5 minutes, such as "5m", "15m" or "1h"');
  if (windowMs > MAX_WINDOW_MS) throw bad('window', `must be at most ${MAX_WINDOW_MS / 86_400_000}d`);
  if (bucketMs > windowMs) throw bad('bucket', 'must not be longer than window');
  if (windowMs % bucketMs) throw bad('bucket', `must divide window evenly (${window} is not a whole number of ${bucket} buckets)`);
  const buckets = windowMs / bucketMs;
  if (buckets > MAX_BUCKETS)
    throw bad('bucket', `gives ${buckets} buckets over ${window}; at most ${MAX_BUCKETS} are allowed: choose a longer bucket`);
  const end = Math.floor(now.getTime() / bucketMs) * bucketMs + bucketMs;
  return {
    start: new Date(end - windowMs),
    end: new Date(end),
    bucketMs,
    buckets,
    span: bucketMs % 3_600_000 === 0 ? 3600 : 300,
  };
}
