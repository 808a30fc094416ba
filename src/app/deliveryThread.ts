// The delivery thread's composition root. It runs in a worker_threads
// thread (src/delivery-thread.ts) with its own database connection, sender,
// recorder, worker loop and retention pruning, so deliveries use the second
// core while the main thread serves the API. It must not import the Prisma
// client, GraphQL or the HTTP server: scripts/build.mjs checks its bundle.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { DeliveryRoom } from '../base/deliveryRoom.js';
import { LiveInterest } from '../base/liveInterest.js';
import { Bus } from '../base/bus.js';
import { OffsetClock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { createLogger } from '../base/logger.js';
import { SecretBox } from '../base/secrets.js';
import type { AppEvents, UpdatedDelivery } from '../db/events.js';
import { listenForDue } from '../db/notify.js';
import { createPgPool, PgSql } from '../db/pg.js';
import { openSqliteFile, SqliteSql } from '../db/sqlite.js';
import { WriteGate } from '../db/writeGate.js';
import type { RecordedAttempt } from '../db/stores/attempts.js';
import { DeliveryClient } from '../dispatch/http.js';
import { startBulkRunner } from '../dispatch/bulk.js';
import { circuitSettings } from '../dispatch/circuit.js';
import { Recorder } from '../dispatch/record.js';
import { startRetention } from '../dispatch/retention.js';
import { Sender } from '../dispatch/sender.js';
import { DeliveryStats } from '../dispatch/stats.js';
import { startTracing } from '../base/tracing.js';
import { WebhookCache } from '../dispatch/webhookCache.js';
import { startWorker } from '../dispatch/worker.js';
import { releaseOwnerLeases } from '../db/stores/deliveries.js';
import type { DeliveryThreadData, FromDeliveryThread, ToDeliveryThread } from './threadProtocol.js';

/** Connections the thread's pool may open on PostgreSQL: claims, hydration and record batches. */
const PG_POOL_SIZE = 4;
/** How often the thread reports its metrics when no attempts message carried them. */
const STATS_EVERY_MS = 1000;
/** The event-loop delay monitor's sampling interval. */
const LOOP_SAMPLE_MS = 20;

/** The configuration as the main thread parsed it; structured clone turned its Buffer into a Uint8Array. */
function reviveConfig(c: Config): Config {
  return Object.freeze({ ...c, secretEncryptionKey: c.secretEncryptionKey ? Buffer.from(c.secretEncryptionKey) : null });
}

/** The checkpoint thread (src/db/checkpoint.ts) checkpoints the WAL, never this thread's commits. */
function withoutAutoCheckpoint<T extends { pragma(text: string): unknown }>(db: T): T {
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

export async function runDeliveryThread(data: DeliveryThreadData, port: MessagePort): Promise<void> {
  const config = reviveConfig(data.config);
  const logger = createLogger(config).child({ thread: 'delivery' });
  // Spans of delivery attempts, exported from this thread (off without OTEL_EXPORTER_OTLP_ENDPOINT).
  const tracing = await startTracing(config, 'delivery-thread');
  // Counted here, posted in batches: see src/dispatch/stats.ts.
  const stats = new DeliveryStats(config.metricsAccountLabels);
  const bus = new Bus<AppEvents>();
  const post = (m: FromDeliveryThread) => port.postMessage(m);
  const clock = new OffsetClock(data.clockOffsetMs);
  const sql =
    config.provider === 'sqlite'
      ? new SqliteSql(withoutAutoCheckpoint(openSqliteFile({ path: config.sqlitePath! })), bus, null, {
          gate: data.writeGate ? new WriteGate(data.writeGate) : null,
        })
      : new PgSql(createPgPool(config.databaseUrl, PG_POOL_SIZE, 'hookline-delivery'), bus);
  const sender = new Sender({
    box: new SecretBox(Buffer.from(data.key)),
    client: new DeliveryClient({ allowPrivateTargets: config.allowPrivateTargets, timeoutMs: config.deliveryTimeoutMs }),
    retryScheduleMs: config.retryScheduleMs,
    clock,
  });
  // What the main thread needs from this thread's commits: the attempts
  // (one message per committed batch), state changes and new due deliveries.
  let attempts: RecordedAttempt[] = [];
  let deliveries: UpdatedDelivery[] = [];
  let posting = false;
  const postAttempts = () => {
    const batch = { t: 'attempts' as const, attempts, deliveries, stats: stats.take() };
    attempts = [];
    deliveries = [];
    posting = false;
    post(batch);
  };
  const later = () => {
    if (posting) return;
    posting = true;
    queueMicrotask(postAttempts);
  };
  bus.on('attempt.recorded', (a) => {
    attempts.push(a);
    later();
  });
  bus.on('delivery.updated', (d) => {
    deliveries.push(d);
    later();
  });
  // No listener of the delivery log on this instance: the recorder neither
  // reads back the deliveries it changes nor announces its attempts, and
  // only the metrics travel to the main thread.
  const interest = data.liveInterest ? new LiveInterest(data.liveInterest) : null;
  const live = interest ? () => interest.any() : () => true;
  const recorder = new Recorder({
    sql,
    bus,
    logger,
    circuit: circuitSettings(config),
    maxBatch: 64,
    flushMs: 2,
    stats,
    live,
    // The metrics go with each batch's attempts, or on their own when none do: /metrics stays as current as the log.
    committed: () => later(),
  });
  bus.on('webhook.stateChanged', (webhook) => post({ t: 'state', webhook }));
  bus.on('deliveries.due', ({ accountId }) => post({ t: 'due', accountId }));
  bus.on('bulkOperation.updated', (op) => post({ t: 'bulkOperation', op }));

  // Dropped entry by entry on webhook.changed: from this thread's own commits (auto-disable) here, from the API and other instances by message.
  const webhookCache = new WebhookCache();
  bus.on('webhook.changed', ({ id }) => {
    webhookCache.invalidate(id);
    sender.forgetWebhook(id);
  });
  // None of this instance's claims can still be in flight (a thread
  // restarted after a crash, a process restarted with the same INSTANCE_ID):
  // they are sent again now, not once their leases run out. A first thread
  // under a generated INSTANCE_ID (a fresh pid and random suffix) can hold
  // none, so it skips the statement: it walks every PENDING row holding
  // SQLite's write lock (about 80 ms per million measured here).
  if (data.restarted || config.instanceIdFixed) {
    const released = await releaseOwnerLeases(sql, config.instanceId);
    if (released) logger.warn({ released }, 'took back deliveries an earlier delivery thread of this instance had claimed');
  }
  // Rows a publish leased to an earlier thread that died were taken back just
  // above; a hint for one that still arrives is sent like any other owned row
  // (at least once: another instance may have claimed it meanwhile).
  const room = data.room ? new DeliveryRoom(data.room) : undefined;
  const worker = startWorker({ config, logger, sql, bus, clock, sender, recorder, webhookCache, stats, room });
  // Claims and the loop's delay reach the main thread without waiting for an attempt.
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  loopDelay.enable();
  // The samples include the sampling interval itself: the lag is what exceeds it.
  const lagSeconds = (ns: number) => Math.max(0, (ns || 0) / 1e6 - LOOP_SAMPLE_MS) / 1000;
  const postStats = () => {
    const lag = { meanSeconds: lagSeconds(loopDelay.mean), p99Seconds: lagSeconds(loopDelay.percentile(99)) };
    loopDelay.reset();
    post({ t: 'stats', stats: stats.take(), lag });
  };
  const statsTimer = setInterval(postStats, STATS_EVERY_MS);
  statsTimer.unref();
  const bulk = startBulkRunner({
    sql,
    bus,
    clock,
    logger,
    owner: config.instanceId,
    leaseMs: config.leaseMs,
    batchSize: config.bulkBatchSize,
    pauseMs: config.bulkPauseMs,
  });
  const retention = startRetention({ sql, clock, logger, retentionDays: config.attemptRetentionDays });
  // Other instances' publishes wake this worker within milliseconds (PostgreSQL only; SQLite is one machine).
  const listener = sql instanceof PgSql ? listenForDue(config.databaseUrl, config.instanceId, () => worker.wake(), logger) : null;

  let stopping: Promise<void> | null = null;
  const stop = async () => {
    await listener?.close();
    await bulk.stop();
    await retention.stop();
    await worker.stop();
    await sender.close();
    await sql.close();
    clearInterval(statsTimer);
    loopDelay.disable();
    postStats(); // what the last deliveries counted
    await tracing?.stop();
  };
  port.on('message', (m: ToDeliveryThread) => {
    if (m.t === 'due') {
      if (m.hints) worker.wake(m.hints);
      if (m.scan) worker.wake();
    } else if (m.t === 'webhooksStale') webhookCache.clear();
    else if (m.t === 'webhookChanged') {
      webhookCache.invalidate(m.id);
      sender.forgetWebhook(m.id);
    } else if (m.t === 'bulk') {
      bulk.wake();
    } else if (m.t === 'clock') {
      clock.offsetMs = m.offsetMs;
      worker.wake();
    } else if (m.t === 'stop') {
      stopping ??= stop().then(
        () => {
          post({ t: 'stopped' });
          // Nothing else keeps the thread alive: it exits once the message is out.
          port.unref();
        },
        (err) => {
          logger.error({ err }, 'delivery thread failed to stop cleanly');
          throw err;
        },
      );
    }
  });
  logger.info({ concurrency: config.deliveryConcurrency }, 'delivery worker started');
  post({ t: 'ready' });
}
