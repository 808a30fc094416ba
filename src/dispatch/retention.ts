// Prunes delivery attempts and event payloads older than
// ATTEMPT_RETENTION_DAYS, in the background.
import { prisma } from '../db/client.js';
import { config } from '../config.js';
import { logger } from '../logger.js';

const EVERY_MS = 3600_000;

export async function pruneOnce(now = new Date()): Promise<{ attempts: number; payloads: number }> {
  const cutoff = new Date(now.getTime() - config().attemptRetentionDays * 86_400_000);
  const attempts = await prisma.deliveryAttempt.deleteMany({ where: { createdAt: { lt: cutoff } } });
  // A payload is kept while any of its deliveries may still be sent.
  const payloads = await prisma.event.updateMany({
    where: { createdAt: { lt: cutoff }, payload: { not: null }, deliveries: { none: { status: 'PENDING' } } },
    data: { payload: null },
  });
  return { attempts: attempts.count, payloads: payloads.count };
}

export function startRetention(): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const run = () => {
    // One pass at a time; stop() waits for it, so nothing queries the
    // database after shutdown has disconnected it.
    running ??= pruneOnce()
      .then(
        (r) => (r.attempts || r.payloads) && logger.info(r, 'pruned old delivery attempts and payloads'),
        (err) => logger.error({ err }, 'retention pruning failed'),
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
