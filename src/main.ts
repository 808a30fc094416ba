// `npm start`: validate configuration, then run the whole service.
import { config, ConfigError } from './config.js';

try {
  config();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`hookline: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const { startApp } = await import('./app.js');
const { logger } = await import('./logger.js');

try {
  const app = await startApp();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and deliveries');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
}
