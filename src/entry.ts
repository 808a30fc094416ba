// Shared start-up for the process entry points: configuration is checked
// before anything that reads it is imported, so a bad value prints one line
// naming the variable instead of a stack trace.
import { config, ConfigError } from './config.js';

export async function runService(start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  try {
    config();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`hookline: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const { logger } = await import('./logger.js');
  const { stopOnSignals } = await import('./shutdown.js');
  try {
    const service = await start();
    stopOnSignals(() => service.stop());
  } catch (err) {
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
}
