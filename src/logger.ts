import { pino } from 'pino';
import { config } from './config.js';

/** Structured JSON logs on stdout. */
export const logger = pino({
  level: config().logLevel,
  base: { service: 'hookline' },
  timestamp: pino.stdTimeFunctions.isoTime,
});
