// `npm run worker`: a delivery worker without the HTTP API, for deployments
// that run API-only instances with WORKER_ENABLED=false.
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

const { startWorkerOnly } = await import('./app.js');
const { logger } = await import('./logger.js');
const { stopOnSignals } = await import('./shutdown.js');

try {
  const worker = await startWorkerOnly();
  stopOnSignals(() => worker.stop());
} catch (err) {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
}
