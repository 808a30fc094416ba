// Delivery counters, aggregated where deliveries happen (the delivery
// thread, or the API thread for pings and manual redeliveries) and handed to
// the metrics registry in batches: take() returns what was counted since the
// last take() as one small plain object, which the thread posts to the main
// thread with the message it already sends per committed batch (and on a
// timer). Counting an attempt is a few array increments: no allocation and
// no message per delivery, since the delivery path is measured in CPU per
// delivery.
import { ERROR_CLASSES, type ErrorClass } from './policy.js';

export const TRIGGERS = ['SCHEDULED', 'MANUAL', 'PING'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** The error_class label of a slot: `none` for a success, else the attempt's error class. */
export const OUTCOME_CLASSES = ['none', ...ERROR_CLASSES] as const;

const CLASSES = OUTCOME_CLASSES.length;
const NETWORK = ERROR_CLASSES.indexOf('NETWORK');
/** Per account row: attempts by trigger and class, then deliveries that ended SUCCEEDED, FAILED. */
export const ROW_LENGTH = TRIGGERS.length * CLASSES + 2;
const COMPLETED_SUCCEEDED = TRIGGERS.length * CLASSES;
const COMPLETED_FAILED = COMPLETED_SUCCEEDED + 1;

/** Histogram bucket bounds (upper, inclusive), in each histogram's unit. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
export const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 200, 500, 1000];

/** Where a value falls: the index of the first bound ≥ value, or bounds.length (+Inf). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]) i++;
  return i;
}

/** Observations of one histogram since the last take: per-bucket (not cumulative) counts, and their sum. */
export interface BucketCounts {
  counts: number[];
  sum: number;
}

class Buckets {
  private counts: Float64Array;
  private sum = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number) {
    this.counts[bucketIndex(this.bounds, value)]++;
    this.sum += value;
  }
  take(): BucketCounts | null {
    if (!this.counts.some((n) => n > 0)) return null;
    const taken = { counts: Array.from(this.counts), sum: this.sum };
    this.counts.fill(0);
    this.sum = 0;
    return taken;
  }
}

/** Everything counted since the last take(); structured-clone friendly. */
export interface DeliveryStatsDelta {
  /** [account, row]: account is '' unless per-account labels are on; row as ROW_LENGTH describes. */
  rows: [string, number[]][];
  /** Attempt durations in seconds, of successes and of failures. */
  latency: { success: BucketCounts | null; failure: BucketCounts | null };
  /** Rows per non-empty claim statement: scanning claims and claims of hinted ids; and rows taken as leased at insert, per batch. */
  claims: { scan: BucketCounts | null; hinted: BucketCounts | null; owned: BucketCounts | null };
  /** Attempts per recording transaction. */
  records: BucketCounts | null;
}

/** What the counters need of one recorded attempt (a subset of the recorder's Outcome). */
export interface CountedAttempt {
  job: { accountId: string };
  deliveryStatus: string | null;
  attempt: { status: string; errorClass: string | null; durationMs: number; trigger: string };
}

/** Accounts kept between takes at most; past it the idle ones are dropped (they are re-created when they deliver again). */
const MAX_ACCOUNTS = 10_000;

export class DeliveryStats {
  private readonly rows = new Map<string, Float64Array>();
  private readonly success = new Buckets(LATENCY_BUCKETS_SECONDS);
  private readonly failure = new Buckets(LATENCY_BUCKETS_SECONDS);
  private readonly scan = new Buckets(BATCH_BUCKETS);
  private readonly hinted = new Buckets(BATCH_BUCKETS);
  private readonly owned = new Buckets(BATCH_BUCKETS);
  private readonly records = new Buckets(BATCH_BUCKETS);
  private dirty = false;

  constructor(private readonly perAccount: boolean) {}

  private row(accountId: string): Float64Array {
    const key = this.perAccount ? accountId : '';
    let row = this.rows.get(key);
    if (!row) this.rows.set(key, (row = new Float64Array(ROW_LENGTH)));
    return row;
  }

  /** One attempt, once its record committed. */
  attempt(o: CountedAttempt): void {
    const row = this.row(o.job.accountId);
    const t = TRIGGERS.indexOf(o.attempt.trigger as Trigger);
    const ok = o.attempt.status === 'SUCCEEDED';
    const known = ok ? 0 : ERROR_CLASSES.indexOf(o.attempt.errorClass as ErrorClass);
    const c = ok ? 0 : 1 + (known < 0 ? NETWORK : known);
    row[Math.max(0, t) * CLASSES + c]++;
    if (o.deliveryStatus === 'SUCCEEDED') row[COMPLETED_SUCCEEDED]++;
    else if (o.deliveryStatus === 'FAILED') row[COMPLETED_FAILED]++;
    (ok ? this.success : this.failure).observe(o.attempt.durationMs / 1000);
    this.dirty = true;
  }

  /** One recording transaction of `n` attempts. */
  recorded(n: number): void {
    this.records.observe(n);
    this.dirty = true;
  }

  /** One claim statement that took `n` rows (> 0), or `n` rows leased at insert taken together without one ('owned'). */
  claimed(kind: 'scan' | 'hinted' | 'owned', n: number): void {
    (kind === 'scan' ? this.scan : kind === 'hinted' ? this.hinted : this.owned).observe(n);
    this.dirty = true;
  }

  /** What was counted since the last take, or null when nothing was. */
  take(): DeliveryStatsDelta | null {
    if (!this.dirty) return null;
    this.dirty = false;
    const rows: [string, number[]][] = [];
    for (const [key, row] of this.rows) {
      if (!row.some((n) => n > 0)) continue;
      rows.push([key, Array.from(row)]);
      row.fill(0);
    }
    if (this.rows.size > MAX_ACCOUNTS) this.rows.clear();
    return {
      rows,
      latency: { success: this.success.take(), failure: this.failure.take() },
      claims: { scan: this.scan.take(), hinted: this.hinted.take(), owned: this.owned.take() },
      records: this.records.take(),
    };
  }
}

/** The labels of a row's slot i (i < ROW_LENGTH - 2): trigger and error class. */
export function slotLabels(i: number): { trigger: Trigger; outcome: 'success' | 'failure'; errorClass: string } {
  const c = i % CLASSES;
  return { trigger: TRIGGERS[Math.floor(i / CLASSES)], outcome: c === 0 ? 'success' : 'failure', errorClass: OUTCOME_CLASSES[c] };
}

export const COMPLETED_SLOTS = { SUCCEEDED: COMPLETED_SUCCEEDED, FAILED: COMPLETED_FAILED } as const;
