// A Prometheus histogram that takes observations already sorted into
// buckets: the delivery thread counts attempts per bucket
// (src/dispatch/stats.ts) and hands over the counts in batches, and
// prom-client's Histogram can only take values one by one. Registered in a
// prom-client Registry like any metric (it renders through get()).
import type { Registry } from 'prom-client';
import type { BucketCounts } from '../dispatch/stats.js';

interface Series {
  labels: Record<string, string>;
  /** Per bucket, not cumulative; the last is +Inf. */
  counts: number[];
  sum: number;
}

export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** Adds a batch of bucketed observations to the series with these labels. */
  add(labels: Record<string, string>, b: BucketCounts): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0 }));
    for (let i = 0; i < s.counts.length; i++) s.counts[i] += b.counts[i] ?? 0;
    s.sum += b.sum;
  }

  /** prom-client's shape for a histogram: cumulative buckets with `le`, then _sum and _count. */
  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < s.counts.length; i++) {
        cumulative += s.counts[i];
        const le = i < this.bounds.length ? this.bounds[i] : '+Inf';
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: cumulative, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}
