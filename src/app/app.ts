// The composition root: builds everything with a lifetime (database
// connection, dialect, event bus, live pubsub, clock, logger, keyring,
// delivery client) from the parsed configuration, once, and hands it down.
// Nothing else in src/ connects, opens files or reads the environment.
import { Bus } from '../base/bus.js';
import { systemClock, type Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { openKeyring, type Keyring } from '../base/keyring.js';
import { osReason, StartupError } from '../base/startup.js';
import { keyFilePath } from '../base/secrets.js';
import { createLogger, type Logger } from '../base/logger.js';
import { openDatabase } from '../db/database.js';
import type { AppEvents } from '../db/events.js';
import { startDueNotifier } from '../db/notify.js';
import { ensurePostgresDatabase, PgSql } from '../db/pg.js';
import { sealLegacyHeaders } from '../db/sealHeaders.js';
import { SqliteSql } from '../db/sqlite.js';
import { DeliveryClient } from '../dispatch/http.js';
import { circuitSettings } from '../dispatch/circuit.js';
import { Recorder } from '../dispatch/record.js';
import { Sender } from '../dispatch/sender.js';
import { ensureBootstrapAccount } from '../domain/accounts/accounts.js';
import { createCaches } from '../domain/caches.js';
import { StreamLimits } from '../live/limits.js';
import { DeliveryRoom } from '../base/deliveryRoom.js';
import { LiveInterest } from '../base/liveInterest.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { startLive } from '../live/pubsub.js';
import { listen, startHttpServer } from '../server/http.js';
import type { AppState } from '../server/state.js';
import { createMetrics } from '../server/metrics.js';
import { createProbes } from '../server/probes.js';
import type { DependencyCheck } from '../server/readiness.js';
import { startTracing } from '../base/tracing.js';
import { startDeliveryThread, type DeliveryThread } from './thread.js';

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Sees every SQL statement sent (tests and benchmarks count them). */
  onStatement?: (sql: string) => void;
}

export interface App {
  state: AppState;
  /** SQLite: the thread that checkpoints the WAL (src/app/checkpointer.ts). */
  checkpointer: Checkpointer | null;
  stop(): Promise<void>;
}

/** The encryption key, or a one-line StartupError naming the key file and the cause. */
function keyringOrStartupError(config: Config): Keyring {
  try {
    return openKeyring(config);
  } catch (err) {
    if ((err as { code?: unknown }).code) {
      throw new StartupError(`cannot read or create the encryption key ${keyFilePath(config.dataDir)}: ${osReason(err)}`);
    }
    throw new StartupError((err as Error).message);
  }
}

/** Opens the database, applies migrations and builds the instance's state. Serves nothing yet. */
export async function createApp(config: Config, opts: AppOptions & { component?: 'api' | 'worker' } = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config);
  const bus = new Bus<AppEvents>();
  if (config.provider === 'postgresql') await ensurePostgresDatabase(config.databaseUrl, logger);
  // Opening checks the SQLite file (src/db/sqliteFile.ts) before the key
  // below can be generated: an existing key is how an emptied file is told
  // from a first start.
  const db = openDatabase(config, bus, { onStatement: opts.onStatement });
  let keyring: Keyring;
  try {
    // The key before migrations: a bad key file must not leave a migrated database behind.
    keyring = keyringOrStartupError(config);
    const applied = await db.migrate();
    if (applied.length) logger.info({ applied }, 'applied database migrations');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  if (keyring.generatedPath) {
    logger.warn(
      { path: keyring.generatedPath },
      'SECRET_ENCRYPTION_KEY is not set; generated a key into the data directory. Back it up: without it webhook secrets cannot be decrypted',
    );
  }
  // After migrations: rows they left with plain-text headers are sealed now (see src/db/sealHeaders.ts).
  const sealed = await sealLegacyHeaders(db.sql, keyring.box).catch(async (err) => {
    await db.close().catch(() => undefined);
    throw err;
  });
  if (sealed) logger.info({ webhooks: sealed }, "encrypted existing webhooks' custom headers");
  // SQLite: no connection of this process checkpoints the WAL in its
  // commits; a thread of its own does (see src/db/checkpoint.ts).
  let checkpointer: Checkpointer | null = null;
  if (db.sql instanceof SqliteSql) {
    db.sql.exec('PRAGMA wal_autocheckpoint = 0');
    try {
      checkpointer = await startCheckpointer(config.sqlitePath!, logger);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }
  const clock = opts.clock ?? systemClock;
  const sender = new Sender({
    box: keyring.box,
    client: new DeliveryClient({ allowPrivateTargets: config.allowPrivateTargets, timeoutMs: config.deliveryTimeoutMs }),
    retryScheduleMs: config.retryScheduleMs,
    clock,
  });
  // Opened custom headers go as soon as their webhook changes (here, or on another instance through NOTIFY).
  const offHeaders = bus.on('webhook.changed', ({ id }) => {
    sender.forgetWebhook(id);
    keyring.headers.forget(id);
  });
  const metrics = createMetrics({ sql: db.sql, clock, logger, accountLabels: config.metricsAccountLabels });
  // Pings and manual redeliveries are recorded on this thread, and counted here.
  const recorder = new Recorder({ sql: db.sql, bus, logger, circuit: circuitSettings(config), stats: metrics.stats });
  // GraphQL operations and publishes are traced on this thread (the delivery thread traces its attempts).
  const tracing = await startTracing(config, opts.component ?? 'api');
  // Shared with the delivery thread, which skips live work no one listens to.
  const liveInterest = new LiveInterest();
  // Shared with the delivery thread, which counts its free slots there for publishes to lease new rows against.
  const deliveryRoom = new DeliveryRoom();
  const live = startLive(
    config.redisUrl,
    bus,
    {
      maxBufferedBytes: config.wsMaxBufferedBytes,
      onError: (err, msg) => logger.error({ err }, msg),
    },
    liveInterest,
    clock,
  );
  // PostgreSQL: commits that make deliveries due wake every instance's delivery thread.
  const notifier = db.sql instanceof PgSql ? startDueNotifier(db.sql.pool, bus, config.instanceId, logger) : null;
  const caches = createCaches(bus);
  await db.listenForChanges(logger);
  const state: AppState = {
    config,
    logger,
    clock,
    db,
    sql: db.sql,
    keyring,
    bus,
    caches: caches.caches,
    sender,
    recorder,
    pubsub: live.pubsub,
    fanout: live.fanout,
    redis: live.redis,
    streams: new StreamLimits({ perKey: config.maxStreamsPerKey, perAccount: config.maxStreamsPerAccount }),
    expiry: live.expiry,
    liveReady: live.ready,
    liveInterest,
    metrics,
    deliveryRoom,
  };
  if (config.bootstrapApiKey) await ensureBootstrapAccount(state, config.bootstrapApiKey);
  return {
    state,
    checkpointer,
    async stop() {
      await recorder.drain();
      await sender.close();
      offHeaders();
      await notifier?.stop();
      await live.stop();
      caches.stop();
      await checkpointer?.stop();
      await db.close();
      await tracing?.stop();
    },
  };
}

export interface RunningApp {
  state: AppState;
  url: string;
  port: number;
  /** The delivery thread, unless WORKER_ENABLED=false. */
  delivery: DeliveryThread | null;
  /** SQLite: the WAL checkpoint thread. */
  checkpointer: Checkpointer | null;
  stop(): Promise<void>;
}

/**
 * Scheduled delivery (claims, sends, records, retention) runs in a
 * worker_threads thread with its own connection; pings and manual
 * redeliveries stay on this thread (state.sender, state.recorder).
 */
async function startDelivery(state: AppState): Promise<DeliveryThread> {
  return startDeliveryThread({
    config: state.config,
    logger: state.logger,
    bus: state.bus,
    key: state.keyring.key,
    clock: state.clock,
    writeGate: state.db.writeGate,
    liveInterest: state.liveInterest,
    metrics: state.metrics,
    room: state.deliveryRoom,
  });
}

/** `npm start`: the API and, unless WORKER_ENABLED=false, the delivery worker. */
export async function startApp(config: Config, opts: AppOptions & { worker?: boolean } = {}): Promise<RunningApp> {
  // The address first: a taken port or a bad HOST fails before migrations run.
  const listener = await listen(config);
  let app: App;
  try {
    app = await createApp(config, opts);
  } catch (err) {
    await listener.close();
    throw err;
  }
  let delivery: DeliveryThread | null = null;
  try {
    delivery = (opts.worker ?? config.workerEnabled) ? await startDelivery(app.state) : null;
  } catch (err) {
    await app.stop();
    await listener.close();
    throw err;
  }
  const http = await startHttpServer(app.state, listener, { delivery: delivery ? () => deliveryCheck(delivery!) : undefined });
  return {
    state: app.state,
    url: http.url,
    port: (http.server.address() as { port: number }).port,
    delivery,
    checkpointer: app.checkpointer,
    async stop() {
      await http.close();
      await delivery?.stop();
      await app.stop();
    },
  };
}

/** /readyz's view of the delivery thread: down while it restarts after a crash. */
function deliveryCheck(delivery: DeliveryThread): DependencyCheck {
  return delivery.worker ? { status: 'up' } : { status: 'down', error: 'the delivery thread is restarting after a crash' };
}

/**
 * `npm run worker`: a delivery worker alone, without the API. With
 * WORKER_PORT it serves /healthz, /readyz and /metrics there (on HOST), so
 * it can be probed and scraped like the API; without, it opens no port.
 */
export async function startWorkerOnly(config: Config, opts: AppOptions = {}): Promise<{ stop(): Promise<void>; port: number | null }> {
  const probesListener = config.workerPort === null ? null : await listen({ host: config.host, port: config.workerPort });
  let app: App;
  try {
    app = await createApp(config, { ...opts, component: 'worker' });
  } catch (err) {
    await probesListener?.close();
    throw err;
  }
  let delivery: DeliveryThread;
  try {
    delivery = await startDelivery(app.state);
  } catch (err) {
    await app.stop();
    await probesListener?.close();
    throw err;
  }
  const probes = createProbes({ ...app.state, delivery: () => deliveryCheck(delivery), workerOnly: true });
  probesListener?.serve((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (probes.handle(req, res, path)) return;
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error":"not found: this is a delivery worker (GET /healthz, /readyz, /metrics)"}');
  });
  const port = probesListener ? (probesListener.server.address() as { port: number }).port : null;
  app.state.logger.info({ probesPort: port }, 'running without the HTTP API');
  return {
    port,
    async stop() {
      probes.drain();
      await delivery.stop();
      await probesListener?.close();
      await app.stop();
    },
  };
}
