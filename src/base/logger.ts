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

const MAX_LOGGED_MESSAGE = 200;
const MAX_STACK_FRAMES = 12;

const firstLine = (text: string) => text.trim().split('\n', 1)[0].slice(0, MAX_LOGGED_MESSAGE);

type Thrown = Error & { originalError?: unknown; path?: unknown; code?: unknown };

/**
 * What is logged of an unexpected error in a request: its class, code, the
 * first line of its message (at most 200 characters), where it happened and
 * its stack frames. Never the rest of the message or the error's other
 * properties: database and Prisma errors repeat the query's arguments there
 * (a webhook's properties, an event's payload), and a request's variables
 * must not end up in logs.
 */
export function errorForLog(err: unknown): unknown {
  if (typeof err === 'string') return firstLine(err);
  if (!(err instanceof Error)) return { type: typeof err };
  // A GraphQLError located at a field wraps what was thrown; that is the error to describe.
  let cause: Thrown = err;
  while (cause.originalError instanceof Error) cause = cause.originalError;
  const { code } = cause;
  const { path } = err as Thrown;
  return {
    type: cause.constructor?.name ?? cause.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message: firstLine(cause.message),
    ...(path ? { path } : {}),
    stack: (cause.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .slice(0, MAX_STACK_FRAMES)
      .map((line) => line.trim()),
  };
}
