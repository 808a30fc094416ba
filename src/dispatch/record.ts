// Writes attempt outcomes in batches: one attempt row per try, the
// delivery's next state, the webhook's failure streak, its circuit breaker
// and any auto-disable, all in one transaction. The commit announces each attempt (and each state
// change) on the event bus.
import type { Bus } from '../base/bus.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents } from '../db/events.js';
import { isTransient, type Sql, type Tx } from '../db/sql.js';
import { insertAttempts } from '../db/stores/attempts.js';
import { addToRollups } from '../db/stores/rollups.js';
import { applyOutcomes, deliveriesByIds, type DeliveryOutcome } from '../db/stores/deliveries.js';
import { writeCleanBatch } from '../db/stores/recordBatch.js';
import type { Delivery } from '../generated/prisma/client.js';
import { closeCircuits, resetStreaks, setCircuit, updateStreak, webhooksByIds, type Webhook } from '../db/stores/webhooks.js';
import { changeStateInTx } from '../outbox/webhookState.js';
import { circuitAfterAttempts, circuitOf, circuitRow, type Circuit, type CircuitSettings } from './circuit.js';
import { rollupIncrements } from './health.js';
import { streaks, type Streak } from './policy.js';
import type { Outcome } from './sender.js';
import type { DeliveryStats } from './stats.js';

export interface RecorderOptions {
  sql: Sql;
  /** The bus `sql` raises committed events on: a batch written in one statement (writeCleanBatch) announces itself here. */
  bus: Bus<AppEvents>;
  logger: Logger;
  /** The circuit breaker and auto-disable settings. */
  circuit: CircuitSettings;
  /** Outcomes per transaction at most; a full batch is written at once. */
  maxBatch?: number;
  /** How long the first outcome of a batch waits for others to join it. */
  flushMs?: number;
  /** Counts committed attempts and batch sizes for the metrics (src/dispatch/stats.ts). */
  stats?: DeliveryStats;
  /**
   * Whether anyone listens to the live delivery log (src/base/liveInterest.ts).
   * While no one does, attempt.recorded and delivery.updated are not raised
   * and the changed deliveries are not read back. Asked before each batch
   * and again after its commit; none given: always.
   */
  live?: () => boolean;
  /** Called after each batch commits (and its metrics are counted). */
  committed?: () => void;
}

function disableReason(w: Webhook, circuit: Circuit, at: Date, s: CircuitSettings): string {
  const base = `Disabled after ${w.consecutiveFailures} consecutive failed deliveries`;
  const open = s.disableAfterMs > 0 && circuit.openedAt ? `, its circuit open since ${circuit.openedAt.toISOString()}` : '';
  return `${base}${open}; last: ${w.lastError ?? 'unknown error'}`;
}

/**
 * Moves the circuits of webhooks that failed in this batch, and turns off,
 * inside the transaction that records the attempts, webhooks whose receiver
 * said 410 Gone or whose circuit has stayed open for the auto-disable
 * window: the same commit that makes a retry due also makes it unclaimable.
 * (Webhooks whose batch ended in a success have their circuits closed by
 * closeCircuits.)
 */
async function failingCircuits(tx: Tx, batch: Streak[], s: CircuitSettings, at: Date): Promise<void> {
  const suspects = new Map(batch.filter((b) => b.gone || b.failures > 0).map((b) => [b.webhookId, b]));
  if (!suspects.size) return;
  for (const w of await webhooksByIds(tx, [...suspects.keys()])) {
    if (w.state !== 'ACTIVE') continue;
    const b = suspects.get(w.id)!;
    if (b.gone) {
      await changeStateInTx(tx, w, { state: 'STOPPED', reason: 'Stopped because the receiver answered 410 Gone', at });
      continue;
    }
    const step = circuitAfterAttempts(circuitOf(w), b, w.consecutiveFailures, s, at);
    const row = step.changed ? ((await setCircuit(tx, w.id, circuitRow(step.circuit))) ?? w) : w;
    if (step.disable) await changeStateInTx(tx, row, { state: 'TOO_MANY_ERRORS', reason: disableReason(w, step.circuit, at, s), at });
    else if (step.changed) tx.afterCommit('webhook.stateChanged', row);
  }
}

/** A success closes the circuit; its backlog is due again, so workers are woken to claim it. */
async function closedCircuits(tx: Tx, wereFailing: string[]): Promise<void> {
  for (const row of await closeCircuits(tx, wereFailing)) {
    tx.afterCommit('webhook.stateChanged', row);
    tx.afterCommit('deliveries.due', { accountId: row.accountId });
  }
}

const outcomeOf = (o: Outcome): DeliveryOutcome => ({
  deliveryId: o.job.deliveryId,
  status: o.deliveryStatus,
  nextAttemptAt: o.nextAttemptAt,
  at: o.attempt.createdAt,
  releasesLease: o.job.trigger === 'SCHEDULED',
});

/** The delivery log's order: createdAt, then id (src/domain/log/cursor.ts). */
const logOrder = (x: { createdAt: Date; id: string }, y: { createdAt: Date; id: string }) =>
  x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);

type Raise = <K extends keyof AppEvents>(name: K, value: AppEvents[K]) => void;

/** Raises the batch's attempts and changed deliveries (through `raise`: on a commit, or at once after one). */
function announce(raise: Raise, outcomes: Outcome[], updated: Delivery[]): void {
  for (const o of outcomes) raise('attempt.recorded', { ...o.attempt, eventId: o.job.eventId, eventType: o.eventType });
  const types = new Map(outcomes.map((o) => [o.job.deliveryId, o.eventType]));
  for (const d of updated) raise('delivery.updated', { ...d, eventType: types.get(d.id)! });
}

const onCommitOf =
  (tx: Tx): Raise =>
  (name, value) =>
    tx.afterCommit(name, value);

export class Recorder {
  private queue: { outcome: Outcome; done: (err?: unknown) => void }[] = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly maxBatch: number;
  private readonly flushMs: number;

  constructor(private readonly opts: RecorderOptions) {
    this.maxBatch = opts.maxBatch ?? 64;
    this.flushMs = opts.flushMs ?? 2;
  }

  /** Outcomes queued and not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Writes a batch; deadlocks between instances are retried. */
  private async write(queued: Outcome[]): Promise<void> {
    // In the delivery log's order (createdAt, id): attempts are announced in
    // commit order, and a live stream with a cursor relies on the two agreeing.
    const outcomes = [...queued].sort((x, y) => logOrder(x.attempt, y.attempt));
    // Rows are locked in id order in every instance, so two writers cannot deadlock.
    const byDelivery = [...outcomes].sort((x, y) => (x.job.deliveryId < y.job.deliveryId ? -1 : 1));
    const batchStreaks = streaks(
      outcomes.map((o) => ({
        webhookId: o.job.webhookId,
        succeeded: o.attempt.status === 'SUCCEEDED',
        label: o.failureLabel,
        gone: o.gone,
      })),
    ).sort((x, y) => (x.webhookId < y.webhookId ? -1 : 1));
    const cleared = batchStreaks.filter((s) => s.failures === 0).map((s) => s.webhookId);
    const failing = batchStreaks.filter((s) => s.failures > 0);
    const at = outcomes[outcomes.length - 1].attempt.createdAt;
    // Health over time: the batch's counters, committed with its attempts (one statement).
    const attemptRows = outcomes.map((o) => o.attempt);
    const increments = rollupIncrements(attemptRows);
    const live = this.opts.live?.() ?? true;
    // A batch with no failure needs no streak, circuit or state change: on
    // PostgreSQL it is one statement (src/db/stores/recordBatch.ts).
    const clean = batchStreaks.every((s) => s.failures === 0 && !s.gone);
    // Built once for either way of writing, and for every retry.
    const changes = byDelivery.map(outcomeOf);
    for (let attempt = 1; ; attempt++) {
      try {
        const written = clean
          ? await writeCleanBatch(this.opts.sql, { attempts: attemptRows, increments, outcomes: changes, webhookIds: cleared }, live)
          : null;
        if (written) {
          if (live) announce((name, value) => this.opts.bus.emit(name, value), outcomes, written);
          break;
        }
        await this.opts.sql.tx(async (tx) => {
          await insertAttempts(tx, attemptRows);
          await addToRollups(tx, increments);
          const updated = await applyOutcomes(tx, changes, live);
          // Clean streaks in one statement; failures (rarer) one webhook at a time.
          await closedCircuits(tx, await resetStreaks(tx, cleared));
          for (const s of failing) await updateStreak(tx, s);
          await failingCircuits(tx, batchStreaks, this.opts.circuit, at);
          if (live) announce(onCommitOf(tx), outcomes, updated);
        });
        break;
      } catch (err) {
        if (attempt >= 5 || !isTransient(err)) throw err;
        await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
      }
    }
    // A stream that started during the transaction may have read its
    // history before the commit: it hears this batch now, with the
    // deliveries as they are (see src/base/liveInterest.ts for why asking
    // after the commit is enough).
    if (!live && this.opts.live!()) {
      await this.opts.sql
        .tx(async (tx) =>
          announce(
            onCommitOf(tx),
            outcomes,
            await deliveriesByIds(
              tx,
              byDelivery.map((o) => o.job.deliveryId),
            ),
          ),
        )
        .catch((err) => this.opts.logger.error({ err }, 'recorded attempts not announced to live streams'));
    }
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const items = this.queue.splice(0, this.maxBatch);
    if (this.queue.length) this.schedule();
    if (!items.length) return;
    const outcomes = items.map((i) => i.outcome);
    try {
      await this.write(outcomes);
    } catch (err) {
      // Nothing is lost: the deliveries keep their leases and are retried when those expire.
      this.opts.logger.error({ err, count: items.length }, 'failed to record delivery attempts');
      for (const i of items) i.done(err);
      return;
    }
    // Counted once committed, so the metrics say what the delivery log says.
    const stats = this.opts.stats;
    if (stats) {
      for (const o of outcomes) stats.attempt(o);
      stats.recorded(outcomes.length);
    }
    this.opts.committed?.();
    for (const i of items) i.done();
  }

  private schedule() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // Chain flushes so batches commit in order and never overlap.
    setImmediate(() => {
      this.flushing = this.flushing.then(
        () => this.flush(),
        () => this.flush(),
      );
    });
  }

  /** A full batch is written now; a partial one once it has waited flushMs for company. */
  private later() {
    if (this.queue.length >= this.maxBatch || this.flushMs <= 0) return this.schedule();
    if (this.timer || this.scheduled) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.schedule();
    }, this.flushMs);
  }

  /** Queues an outcome; resolves once it is committed. */
  record(outcome: Outcome): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ outcome, done: (err) => (err ? reject(err) : resolve()) });
      this.later();
    });
  }

  /** Waits for every queued outcome to be written. */
  async drain(): Promise<void> {
    while (this.queue.length || this.scheduled) {
      this.schedule();
      await new Promise((r) => setImmediate(r));
      await this.flushing;
    }
    await this.flushing;
  }
}
