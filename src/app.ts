// Start-up and shutdown of one Hookline instance: migrations, bootstrap
// account, HTTP/WebSocket server and (unless disabled) the delivery worker.
import { config } from './config.js';
import { logger } from './logger.js';
import { migrate } from './db/migrate.js';
import { prepareConnection, prisma } from './db/client.js';
import { ensureBootstrapAccount } from './accounts/accounts.js';
import { generatedKeyPath } from './security/keyring.js';
import { startHttpServer } from './server.js';
import { startWorker, type Worker } from './dispatch/worker.js';
import { startLiveEvents } from './live/pubsub.js';

export interface RunningApp {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Migrations, key loading and the bootstrap account: everything before serving. */
export async function prepare(): Promise<void> {
  const cfg = config();
  const applied = await migrate(cfg);
  if (applied.length) logger.info({ applied }, 'applied database migrations');
  await prepareConnection();
  const generated = generatedKeyPath();
  if (generated) {
    logger.warn(
      { path: generated },
      'SECRET_ENCRYPTION_KEY is not set; generated a key into the data directory. Back it up: without it webhook secrets cannot be decrypted',
    );
  }
  if (cfg.bootstrapApiKey) await ensureBootstrapAccount(cfg.bootstrapApiKey);
}

export async function startApp(opts: { worker?: boolean } = {}): Promise<RunningApp> {
  const cfg = config();
  await prepare();
  const live = await startLiveEvents();
  const http = await startHttpServer();
  const worker: Worker | null = (opts.worker ?? cfg.workerEnabled) ? startWorker() : null;
  if (worker) logger.info({ concurrency: cfg.deliveryConcurrency }, 'delivery worker started');
  return {
    url: http.url,
    port: (http.server.address() as { port: number }).port,
    async stop() {
      await http.close();
      await worker?.stop();
      await live.stop();
      await prisma.$disconnect();
    },
  };
}

/** A worker alone (`npm run worker`): no HTTP server. */
export async function startWorkerOnly(): Promise<{ stop(): Promise<void> }> {
  await prepare();
  const live = await startLiveEvents();
  const worker = startWorker();
  logger.info({ concurrency: config().deliveryConcurrency }, 'delivery worker started (no HTTP API)');
  return {
    async stop() {
      await worker.stop();
      await live.stop();
      await prisma.$disconnect();
    },
  };
}
