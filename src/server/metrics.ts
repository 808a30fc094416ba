// Prometheus metrics (prom-client), served at GET /metrics. One registry per
// instance, built by the composition root:
//
// - delivery counters and histograms arrive in batches from wherever
//   deliveries run (src/dispatch/stats.ts): the delivery thread posts them
//   with its per-batch messages (src/app/thread.ts), and this thread's own
//   pings and redeliveries are taken at each scrape;
// - the queue and webhooks-by-state gauges are read from the database when
//   scraped (at most once a second, however often it is scraped);
// - GraphQL operations are counted by the envelope plugin in graphqlTelemetry.ts;
// - the default process and Node.js metrics (CPU, memory, event-loop lag, GC).
//
// Names follow Prometheus conventions (hookline_…_total counters, _seconds
// durations). Labels are bounded: per-account labels only with
// METRICS_ACCOUNT_LABELS, and GraphQL operation names (chosen by clients)
// are capped (see operationLabel).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Sql } from '../db/sql.js';
import { QUEUE_STATES, queueStats, WEBHOOK_STATES, webhooksByState } from '../db/stores/opsStats.js';
import {
  BATCH_BUCKETS,
  COMPLETED_SLOTS,
  DeliveryStats,
  LATENCY_BUCKETS_SECONDS,
  ROW_LENGTH,
  slotLabels,
  type DeliveryStatsDelta,
} from '../dispatch/stats.js';
import { BucketHistogram } from './promHistogram.js';

export interface MetricsOptions {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  /** METRICS_ACCOUNT_LABELS: an `account` label on the delivery counters. */
  accountLabels: boolean;
}

/** Distinct GraphQL operation names labelled at most; later ones count as "other". */
export const MAX_OPERATION_NAMES = 200;
const DB_SNAPSHOT_MS = 1000;

export type Transport = 'websocket' | 'http';

export interface Metrics {
  readonly registry: Registry;
  /** This thread's delivery counters: the API thread's recorder counts pings and redeliveries into it. */
  readonly stats: DeliveryStats;
  /** Adds a batch counted elsewhere (the delivery thread). */
  addDelivery(delta: DeliveryStatsDelta): void;
  /** The delivery thread's event-loop lag over its last report. */
  deliveryThreadLag(meanSeconds: number, p99Seconds: number): void;
  deliveryThreadRestarted(): void;
  /** One GraphQL query or mutation, or a subscription being set up. */
  graphqlOperation(name: string | undefined, type: string, seconds: number | null, errorCodes: readonly string[]): void;
  /** A subscription stream opened; call the result when it ends. */
  subscriptionOpened(transport: Transport): () => void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** The label for a client-chosen operation name: bounded in length and in number of distinct values. */
export function operationLabel(seen: Set<string>, name: string | undefined): string {
  if (!name) return 'anonymous';
  if (seen.has(name)) return name;
  if (name.length > 100 || seen.size >= MAX_OPERATION_NAMES) return 'other';
  seen.add(name);
  return name;
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const stats = new DeliveryStats(opts.accountLabels);
  const accountLabel = opts.accountLabels ? ['account'] : [];

  const attempts = new Counter({
    name: 'hookline_delivery_attempts_total',
    help: 'Delivery attempts recorded, by trigger (SCHEDULED, MANUAL, PING), outcome and error class (none for a success).',
    labelNames: ['trigger', 'outcome', 'error_class', ...accountLabel],
    registers: [registry],
  });
  const completed = new Counter({
    name: 'hookline_deliveries_completed_total',
    help: 'Deliveries that reached a final status: succeeded, or failed with no retry left.',
    labelNames: ['status', ...accountLabel],
    registers: [registry],
  });
  const latency = new BucketHistogram(
    'hookline_delivery_attempt_duration_seconds',
    'Time from sending a delivery request to its complete response (or failure), by outcome.',
    LATENCY_BUCKETS_SECONDS,
    registry,
  );
  const claims = new BucketHistogram(
    'hookline_delivery_claim_batch_size',
    'Deliveries taken per claim statement that took any: kind scan (the due-row scan) or hinted (rows named by this instance’s publishes); kind owned counts rows this instance’s publishes leased to it at insert, taken together with no statement.',
    BATCH_BUCKETS,
    registry,
  );
  const records = new BucketHistogram(
    'hookline_delivery_record_batch_size',
    'Attempts written per recording transaction.',
    BATCH_BUCKETS,
    registry,
  );
  const restarts = new Counter({
    name: 'hookline_delivery_thread_restarts_total',
    help: 'Times the delivery thread was restarted after a crash.',
    registers: [registry],
  });
  const threadLagMean = new Gauge({
    name: 'hookline_delivery_thread_eventloop_lag_mean_seconds',
    help: 'Mean event-loop delay of the delivery thread over its last report (about a second).',
    registers: [registry],
  });
  const threadLagP99 = new Gauge({
    name: 'hookline_delivery_thread_eventloop_lag_p99_seconds',
    help: '99th percentile event-loop delay of the delivery thread over its last report (about a second).',
    registers: [registry],
  });

  // Database gauges: one snapshot per scrape, shared by the three gauges.
  let snapshot: { at: number; value: Promise<Awaited<ReturnType<typeof readDatabase>> | null> } | null = null;
  const readDatabase = async () => {
    const now = opts.clock.now();
    const [queue, webhooks] = await Promise.all([queueStats(opts.sql, now), webhooksByState(opts.sql)]);
    return { now, queue, webhooks };
  };
  const fromDatabase = () => {
    const at = Date.now();
    if (!snapshot || at - snapshot.at >= DB_SNAPSHOT_MS) {
      snapshot = {
        at,
        value: readDatabase().catch((err) => {
          // The process metrics still answer while the database is away; /readyz says why.
          opts.logger.warn({ err }, 'metrics: cannot read the delivery queue from the database');
          return null;
        }),
      };
    }
    return snapshot.value;
  };
  new Gauge({
    name: 'hookline_delivery_queue_depth',
    help: 'Pending deliveries by state: due (waiting for a worker), in_flight (claimed), scheduled (a retry later), paused (webhook not active).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const db = await fromDatabase();
      this.reset();
      if (db) for (const s of QUEUE_STATES) this.set({ state: s }, db.queue.depth[s]);
    },
  });
  new Gauge({
    name: 'hookline_delivery_oldest_due_age_seconds',
    help: 'How long the longest-waiting due delivery of an active webhook has been due (0 when none is).',
    registers: [registry],
    async collect() {
      const db = await fromDatabase();
      this.reset();
      if (!db) return;
      const oldest = db.queue.oldestDueAt;
      this.set(oldest ? Math.max(0, (db.now.getTime() - oldest.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'hookline_webhooks',
    help: 'Webhooks by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const db = await fromDatabase();
      this.reset();
      if (db) for (const s of WEBHOOK_STATES) this.set({ state: s.toLowerCase() }, db.webhooks[s]);
    },
  });

  const subscriptions = new Gauge({
    name: 'hookline_subscriptions_open',
    help: 'GraphQL subscriptions streaming now, by transport (websocket: graphql-ws; http: SSE).',
    labelNames: ['transport'],
    registers: [registry],
  });
  for (const transport of ['websocket', 'http']) subscriptions.set({ transport }, 0);
  const operations = new Counter({
    name: 'hookline_graphql_operations_total',
    help: 'GraphQL operations executed (subscriptions: started), by operation name and type.',
    labelNames: ['operation_name', 'operation_type'],
    registers: [registry],
  });
  const operationSeconds = new Histogram({
    name: 'hookline_graphql_operation_duration_seconds',
    help: 'Execution time of GraphQL queries and mutations, by operation name and type.',
    labelNames: ['operation_name', 'operation_type'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const graphqlErrors = new Counter({
    name: 'hookline_graphql_errors_total',
    help: 'Errors in GraphQL results, by operation name and type and the error’s extensions.code.',
    labelNames: ['operation_name', 'operation_type', 'code'],
    registers: [registry],
  });
  const names = new Set<string>();

  const addDelivery = (delta: DeliveryStatsDelta) => {
    for (const [account, row] of delta.rows) {
      const extra = opts.accountLabels ? { account } : {};
      for (let i = 0; i < ROW_LENGTH - 2; i++) {
        if (!row[i]) continue;
        const l = slotLabels(i);
        attempts.inc({ trigger: l.trigger.toLowerCase(), outcome: l.outcome, error_class: l.errorClass.toLowerCase(), ...extra }, row[i]);
      }
      if (row[COMPLETED_SLOTS.SUCCEEDED]) completed.inc({ status: 'succeeded', ...extra }, row[COMPLETED_SLOTS.SUCCEEDED]);
      if (row[COMPLETED_SLOTS.FAILED]) completed.inc({ status: 'failed', ...extra }, row[COMPLETED_SLOTS.FAILED]);
    }
    if (delta.latency.success) latency.add({ outcome: 'success' }, delta.latency.success);
    if (delta.latency.failure) latency.add({ outcome: 'failure' }, delta.latency.failure);
    if (delta.claims.scan) claims.add({ kind: 'scan' }, delta.claims.scan);
    if (delta.claims.hinted) claims.add({ kind: 'hinted' }, delta.claims.hinted);
    if (delta.claims.owned) claims.add({ kind: 'owned' }, delta.claims.owned);
    if (delta.records) records.add({}, delta.records);
  };

  return {
    registry,
    stats,
    addDelivery,
    deliveryThreadLag(mean, p99) {
      threadLagMean.set(mean);
      threadLagP99.set(p99);
    },
    deliveryThreadRestarted: () => restarts.inc(),
    graphqlOperation(name, type, seconds, errorCodes) {
      const labels = { operation_name: operationLabel(names, name), operation_type: type };
      operations.inc(labels);
      if (seconds !== null) operationSeconds.observe(labels, seconds);
      for (const code of errorCodes) graphqlErrors.inc({ ...labels, code });
    },
    subscriptionOpened(transport) {
      subscriptions.inc({ transport });
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        subscriptions.dec({ transport });
      };
    },
    async render() {
      const own = stats.take();
      if (own) addDelivery(own);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
