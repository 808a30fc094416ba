import { logger } from './logger.js';

/** On SIGTERM or SIGINT: stop gracefully, then exit 0 (1 if stopping failed or hung). */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and deliveries');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
