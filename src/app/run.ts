// Shared start-up for the process entry points: the configuration is parsed
// from the environment here, once, so a bad value prints one line naming the
// variable instead of a stack trace.
import { ConfigError, loadConfig, processEnv, type Config } from '../base/config.js';
import { StartupError } from '../base/startup.js';
import { stopOnSignals } from './shutdown.js';

/** The configuration, or exit 1 with one line naming the bad variable. */
export function configOrExit(): Config {
  try {
    return loadConfig(processEnv());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`hookline: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

export async function runService(start: (config: Config) => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const config = configOrExit();
  try {
    const service = await start(config);
    stopOnSignals(() => service.stop());
  } catch (err) {
    console.error(startupFailure(err));
    process.exit(1);
  }
}

/** One line for a failed start: a StartupError says it all; anything else gets its first line, never a stack. */
export function startupFailure(err: unknown, context = 'failed to start: '): string {
  if (err instanceof StartupError) return `hookline: ${err.message}`;
  const text = String((err as Error)?.message ?? err).split('\n')[0];
  return `hookline: ${context}${text}`;
}
