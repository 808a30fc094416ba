// Prunes delivery attempts and event payloads older than
// ATTEMPT_RETENTION_DAYS, in the background.
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Sql } from '../db/sql.js';
import { pruneBefore } from '../db/stores/retention.js';

const EVERY_MS = 3600_000;

export interface RetentionDeps {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  retentionDays: number;
}

export function pruneOnce(deps: RetentionDeps): Promise<{ attempts: number; payloads: number }> {
  return pruneBefore(deps.sql, new Date(deps.clock.now().getTime() - deps.retentionDays * 86_400_000));
}

export function startRetention(deps: RetentionDeps): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const run = () => {
    // One pass at a time; stop() waits for it, so nothing queries the
    // database after shutdown has closed it.
    running ??= pruneOnce(deps)
      .then(
        (r) => (r.attempts || r.payloads) && deps.logger.info(r, 'pruned old delivery attempts and payloads'),
        (err) => deps.logger.error({ err }, 'retention pruning failed'),
      )
      .finally(() => (running = null));
  };
  const first = setTimeout(run, 10_000);
  const timer = setInterval(run, EVERY_MS);
  first.unref();
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
