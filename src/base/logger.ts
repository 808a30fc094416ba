import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Structured JSON logs on stdout. */
export function createLogger(cfg: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: cfg.logLevel,
    base: { service: 'hookline' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
