// The composition root: builds everything with a lifetime (database
// connection, dialect, event bus, live pubsub, clock, logger, keyring,
// delivery client) from the parsed configuration, once, and hands it down.
// Nothing else in src/ connects, opens files or reads the environment.
import { Bus } from '../base/bus.js';
import { systemClock, type Clock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { openKeyring } from '../base/keyring.js';
import { createLogger, type Logger } from '../base/logger.js';
import { openDatabase } from '../db/database.js';
import type { AppEvents } from '../db/events.js';
import { startDueNotifier } from '../db/notify.js';
import { PgSql } from '../db/pg.js';
import { SqliteSql } from '../db/sqlite.js';
import { DeliveryClient } from '../dispatch/http.js';
import { Recorder } from '../dispatch/record.js';
import { Sender } from '../dispatch/sender.js';
import { ensureBootstrapAccount } from '../domain/accounts/accounts.js';
import { createCaches } from '../domain/caches.js';
import { startLive } from '../live/pubsub.js';
import { startHttpServer } from '../server/http.js';
import type { AppState } from '../server/state.js';
import { startDeliveryThread, type DeliveryThread } from './thread.js';

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Sees every SQL statement sent (tests and benchmarks count them). */
  onStatement?: (sql: string) => void;
}

export interface App {
  state: AppState;
  stop(): Promise<void>;
}

/** Opens the database, applies migrations and builds the instance's state. Serves nothing yet. */
export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config);
  const bus = new Bus<AppEvents>();
  const db = openDatabase(config, bus, { onStatement: opts.onStatement });
  try {
    const applied = await db.migrate();
    if (applied.length) logger.info({ applied }, 'applied database migrations');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const keyring = openKeyring(config);
  if (keyring.generatedPath) {
    logger.warn(
      { path: keyring.generatedPath },
      'SECRET_ENCRYPTION_KEY is not set; generated a key into the data directory. Back it up: without it webhook secrets cannot be decrypted',
    );
  }
  const sender = new Sender({
    box: keyring.box,
    client: new DeliveryClient({ allowPrivateTargets: config.allowPrivateTargets, timeoutMs: config.deliveryTimeoutMs }),
    retryScheduleMs: config.retryScheduleMs,
    clock: opts.clock ?? systemClock,
  });
  const recorder = new Recorder({ sql: db.sql, logger, autoDisableAfter: config.autoDisableAfter });
  const live = startLive(config.redisUrl, bus, {
    maxBufferedBytes: config.wsMaxBufferedBytes,
    onError: (err, msg) => logger.error({ err }, msg),
  });
  // PostgreSQL: commits that make deliveries due wake every instance's delivery thread.
  const notifier = db.sql instanceof PgSql ? startDueNotifier(db.sql.pool, bus, config.instanceId, logger) : null;
  const caches = createCaches(bus);
  await db.listenForChanges(logger);
  const state: AppState = {
    config,
    logger,
    clock: opts.clock ?? systemClock,
    db,
    sql: db.sql,
    keyring,
    bus,
    caches: caches.caches,
    sender,
    recorder,
    pubsub: live.pubsub,
    fanout: live.fanout,
  };
  if (config.bootstrapApiKey) await ensureBootstrapAccount(state, config.bootstrapApiKey);
  return {
    state,
    async stop() {
      await recorder.drain();
      await sender.close();
      await notifier?.stop();
      await live.stop();
      caches.stop();
      await db.close();
    },
  };
}

export interface RunningApp {
  state: AppState;
  url: string;
  port: number;
  /** The delivery thread, unless WORKER_ENABLED=false. */
  delivery: DeliveryThread | null;
  stop(): Promise<void>;
}

/**
 * Scheduled delivery (claims, sends, records, retention) runs in a
 * worker_threads thread with its own connection; pings and manual
 * redeliveries stay on this thread (state.sender, state.recorder).
 */
async function startDelivery(state: AppState): Promise<DeliveryThread> {
  const thread = await startDeliveryThread({
    config: state.config,
    logger: state.logger,
    bus: state.bus,
    key: state.keyring.key,
    clock: state.clock,
  });
  // SQLite: the delivery thread, the heavier writer, also checkpoints the
  // WAL (and pays its fsyncs), so the API thread's commits never do.
  if (state.db.sql instanceof SqliteSql) state.db.sql.exec('PRAGMA wal_autocheckpoint = 0');
  return thread;
}

/** `npm start`: the API and, unless WORKER_ENABLED=false, the delivery worker. */
export async function startApp(config: Config, opts: AppOptions & { worker?: boolean } = {}): Promise<RunningApp> {
  const app = await createApp(config, opts);
  let delivery: DeliveryThread | null = null;
  try {
    delivery = (opts.worker ?? config.workerEnabled) ? await startDelivery(app.state) : null;
  } catch (err) {
    await app.stop();
    throw err;
  }
  const http = await startHttpServer(app.state);
  return {
    state: app.state,
    url: http.url,
    port: (http.server.address() as { port: number }).port,
    delivery,
    async stop() {
      await http.close();
      await delivery?.stop();
      await app.stop();
    },
  };
}

/** `npm run worker`: a delivery worker alone, no HTTP server. */
export async function startWorkerOnly(config: Config, opts: AppOptions = {}): Promise<{ stop(): Promise<void> }> {
  const app = await createApp(config, opts);
  let delivery: DeliveryThread;
  try {
    delivery = await startDelivery(app.state);
  } catch (err) {
    await app.stop();
    throw err;
  }
  app.state.logger.info('running without the HTTP API');
  return {
    async stop() {
      await delivery.stop();
      await app.stop();
    },
  };
}
