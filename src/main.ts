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
const { stopOnSignals } = await import('./shutdown.js');

try {
  const app = await startApp();
  stopOnSignals(() => app.stop());
} catch (err) {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
}
