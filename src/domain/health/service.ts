// Health over time: a webhook's or the whole account's attempts per bucket
// (counts, failures by error class and HTTP status class, latency
// percentiles), summed from the rollups the recorder keeps. One indexed
// range read however many attempts the window holds.
import { toBuckets, type HealthBucket } from '../../dispatch/health.js';
import { sumRollups } from '../../db/stores/rollups.js';
import type { Deps } from '../deps.js';
import { healthWindow } from './window.js';

export interface HealthSeries {
  from: Date;
  to: Date;
  bucketSeconds: number;
  buckets: HealthBucket[];
}

/** The series for one webhook (webhookId) or the account (null); window and bucket are checked (BAD_USER_INPUT naming them). */
export async function healthSeries(
  deps: Pick<Deps, 'sql' | 'clock'>,
  accountId: string,
  webhookId: string | null,
  window: string,
  bucket: string,
): Promise<HealthSeries> {
  const w = healthWindow(window, bucket, deps.clock.now());
  const sums = await sumRollups(deps.sql, { accountId, webhookId, span: w.span, start: w.start, bucketMs: w.bucketMs, buckets: w.buckets });
  return { from: w.start, to: w.end, bucketSeconds: w.bucketMs / 1000, buckets: toBuckets(w.start.getTime(), w.bucketMs, w.buckets, sums) };
}
