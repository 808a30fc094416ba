// Runs bulk operations (retryDeliveries, replayEvents) in the background, in
// each delivery thread: one batch (BULK_BATCH_SIZE rows) per transaction,
// then a pause (BULK_PAUSE_MS), so a bulk operation over 100,000 deliveries
// never holds the database for long and the worker keeps delivering other
// traffic. Requeued and replayed deliveries are ordinary due rows: the
// worker's fair claim (per-account and per-webhook limits) sends them.
//
// Progress (a keyset position and the counters) commits with each batch,
// and a lease names the instance working on an operation: after a restart
// the same instance (same INSTANCE_ID) resumes at once, another one once
// the lease has run out (DELIVERY_LEASE). A cancelled operation's next
// batch finds it no longer running and rolls back.
import type { Bus } from '../base/bus.js';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents } from '../db/events.js';
import type { Sql, Tx } from '../db/sql.js';
import {
  advanceBulkOperation,
  claimBulkOperation,
  finishBulkOperation,
  releaseBulkOperations,
  replayBatch,
  retryBatch,
  type BulkOperation,
  type ReplayConditions,
} from '../db/stores/bulkOperations.js';
import { eventTypesByIds } from '../db/stores/events.js';
import type { DeliveryConditions } from '../db/stores/log.js';
import { publishInTx } from '../outbox/publish.js';
import { Nap } from './nap.js';

/** Sent by pingWebhook only (src/domain/catalog.ts): never retried or replayed in bulk. */
export const PING_TYPE = 'webhook.ping';
export const BULK_FINISHED_EVENT = 'bulk_operation.finished';

/** A stored filter: dates as ISO strings (JSON). */
const reviveDates = <T extends { from: unknown; to: unknown }>(f: T) => ({
  ...f,
  from: f.from ? new Date(f.from as string) : null,
  to: f.to ? new Date(f.to as string) : null,
});
export const storedRetryFilter = (op: BulkOperation) => reviveDates(JSON.parse(op.filter)) as DeliveryConditions;
export const storedReplayFilter = (op: BulkOperation) => reviveDates(JSON.parse(op.filter)) as ReplayConditions;

/** The operation as built-in events describe it. */
export function bulkSummary(op: BulkOperation) {
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    total: op.total,
    done: op.done,
    failed: op.failed,
    webhookId: op.webhookId,
    error: op.error,
    createdAt: op.createdAt.toISOString(),
    finishedAt: op.finishedAt?.toISOString() ?? null,
  };
}

/** Ends a running operation in `tx` and records bulk_operation.finished; null when it had already ended. */
export async function finishInTx(
  tx: Tx,
  op: BulkOperation,
  status: 'SUCCEEDED' | 'CANCELLED' | 'FAILED',
  at: Date,
  error: string | null = null,
): Promise<BulkOperation | null> {
  const ended = await finishBulkOperation(tx, op.accountId, op.id, status, at, error);
  if (!ended) return null;
  await publishInTx(tx, { accountId: op.accountId, type: BULK_FINISHED_EVENT, payload: { bulkOperation: bulkSummary(ended) } }, at);
  tx.afterCommit('bulkOperation.updated', ended);
  return ended;
}

/** Rolls a batch back when its operation stopped running under this lease (cancelled, or taken over). */
class NotRunning extends Error {}

export interface BulkRunnerDeps {
  sql: Sql;
  bus: Bus<AppEvents>;
  clock: Clock;
  logger: Logger;
  owner: string;
  leaseMs: number;
  batchSize: number;
  pauseMs: number;
  /** How often to look for operations created on other instances. */
  pollMs?: number;
}

/**
 * One batch of `op`: acts on the next rows and moves its progress, or, with
 * nothing left, finishes it. Returns the operation as committed (null when
 * it stopped running meanwhile).
 */
export async function runBatch(deps: BulkRunnerDeps, op: BulkOperation): Promise<BulkOperation | null> {
  const { sql, owner } = deps;
  const now = deps.clock.now();
  try {
    return await sql.tx(async (tx) => {
      let step: { seen: number; failed: number; last: { at: Date; id: string } | null };
      if (op.kind === 'RETRY_DELIVERIES') {
        const r = await retryBatch(tx, op, storedRetryFilter(op), deps.batchSize, now, PING_TYPE);
        step = { seen: r.seen, failed: 0, last: r.last };
        if (r.requeued.length) {
          tx.afterCommit('deliveries.due', { accountId: op.accountId });
          const types = await eventTypesByIds(tx, op.accountId, [...new Set(r.requeued.map((d) => d.eventId))]);
          for (const d of r.requeued) tx.afterCommit('delivery.updated', { ...d, eventType: types.get(d.eventId) ?? '' });
        }
      } else {
        const r = await replayBatch(tx, op, storedReplayFilter(op), deps.batchSize, now, PING_TYPE);
        step = { seen: r.seen, failed: r.pruned, last: r.last };
        if (r.created) tx.afterCommit('deliveries.due', { accountId: op.accountId });
      }
      if (!step.last) return finishInTx(tx, op, 'SUCCEEDED', now);
      const moved = await advanceBulkOperation(tx, op, owner, {
        done: step.seen,
        failed: step.failed,
        last: step.last,
        at: now,
        leaseUntil: new Date(now.getTime() + deps.leaseMs),
      });
      if (!moved) throw new NotRunning();
      tx.afterCommit('bulkOperation.updated', moved);
      return moved;
    });
  } catch (err) {
    if (err instanceof NotRunning) return null;
    throw err;
  }
}

/** Consecutive failed batches after which an operation is marked FAILED. */
const MAX_BATCH_FAILURES = 5;

export function startBulkRunner(deps: BulkRunnerDeps): { wake(): void; stop(): Promise<void> } {
  const { logger } = deps;
  const pollMs = deps.pollMs ?? 2_000;
  let running = true;
  const nap = new Nap(true);
  const failures = new Map<string, number>();
  const sleep = (ms: number) => nap.sleep(ms);

  const fail = async (op: BulkOperation, err: unknown) => {
    const n = (failures.get(op.id) ?? 0) + 1;
    failures.set(op.id, n);
    logger.error({ err, bulkOperationId: op.id, failures: n }, 'bulk operation batch failed');
    if (n < MAX_BATCH_FAILURES) return;
    failures.delete(op.id);
    const message = err instanceof Error ? err.message : String(err);
    await deps.sql
      .tx((tx) => finishInTx(tx, op, 'FAILED', deps.clock.now(), message))
      .catch((e) => logger.error({ err: e }, 'could not mark bulk operation failed'));
  };

  const loop = async () => {
    while (running) {
      let op: BulkOperation | null = null;
      try {
        op = await claimBulkOperation(deps.sql, deps.owner, deps.leaseMs, deps.clock.now());
      } catch (err) {
        logger.error({ err }, 'claiming a bulk operation failed; retrying');
      }
      if (!op) {
        await sleep(pollMs);
        continue;
      }
      try {
        const after = await runBatch(deps, op);
        failures.delete(op.id);
        if (after && after.status !== 'RUNNING')
          logger.info({ bulkOperationId: op.id, status: after.status, done: after.done }, 'bulk operation finished');
      } catch (err) {
        await fail(op, err);
      }
      // The throttle: unconditional, whatever wake-ups arrive meanwhile. With
      // no pause it still yields to the event loop: on SQLite every statement
      // is synchronous, so back-to-back batches would otherwise hold the API
      // thread until the whole operation ended (measured: no HTTP request
      // answered during a 100,000-delivery retry with BULK_PAUSE_MS=0).
      if (running) await new Promise((r) => (deps.pauseMs > 0 ? setTimeout(r, deps.pauseMs) : setImmediate(r)));
    }
  };
  const done = loop();
  return {
    wake() {
      nap.wake();
    },
    async stop() {
      running = false;
      nap.wake();
      await done;
      await releaseBulkOperations(deps.sql, deps.owner).catch(() => undefined);
    },
  };
}
