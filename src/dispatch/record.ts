// Writes attempt outcomes in batches: one attempt row per try, the delivery's
// next state, the webhook's failure streak and any auto-disable, all in one
// transaction. Then publishes the attempts to live subscribers.
import { prisma, provider, type SqlRunner as Runner } from '../db/client.js';
import { config } from '../config.js';
import { logger } from '../logger.js';
import { pubsub } from '../live/pubsub.js';
import { changeStateInTx, webhookStateChanged } from '../webhooks/service.js';
import { wakeWorkers, type Tx } from './publish.js';
import type { Webhook } from '../generated/prisma/client.js';
import { Params } from '../db/sql.js';
import type { Outcome } from './attempts.js';

const ATTEMPT_COLUMNS = [
  'id', 'accountId', 'deliveryId', 'webhookId', 'attemptNumber', 'trigger', 'status', 'requestUrl', 'requestHeaders',
  'requestBody', 'responseStatus', 'responseHeaders', 'responseBody', 'durationMs', 'error', 'nextAttemptAt', 'createdAt',
];

function insertAttempts(db: Runner, outcomes: Outcome[]) {
  const p = new Params();
  const rows = outcomes.map(({ attempt: a }) =>
    [
      p.v(a.id), p.v(a.accountId), p.v(a.deliveryId), p.v(a.webhookId), p.int(a.attemptNumber),
      provider === 'sqlite' ? p.v(a.trigger) : `${p.v(a.trigger)}::"AttemptTrigger"`,
      provider === 'sqlite' ? p.v(a.status) : `${p.v(a.status)}::"AttemptStatus"`,
      p.v(a.requestUrl), p.v(a.requestHeaders), p.v(a.requestBody), p.int(a.responseStatus), p.v(a.responseHeaders),
      p.v(a.responseBody), p.int(a.durationMs), p.v(a.error), p.ts(a.nextAttemptAt), p.ts(a.createdAt),
    ].join(', '),
  );
  const cols = ATTEMPT_COLUMNS.map((c) => `"${c}"`).join(', ');
  return db.$executeRawUnsafe(
    `INSERT INTO "DeliveryAttempt" (${cols}) VALUES ${rows.map((r) => `(${r})`).join(', ')}`,
    ...p.values,
  );
}

/** One UPDATE for every delivery in the batch, joined to a VALUES list. */
function updateDeliveries(db: Runner, outcomes: Outcome[]) {
  const p = new Params();
  const rows = outcomes.map((o) =>
    [
      p.text(o.job.deliveryId),
      p.text(o.deliveryStatus),
      p.ts(o.attempt.nextAttemptAt),
      p.ts(o.attempt.createdAt),
      p.int(o.job.trigger === 'SCHEDULED' ? 1 : 0),
    ].join(', '),
  );
  const values = rows.map((r) => `(${r})`).join(', ');
  const status = provider === 'sqlite' ? 'v.status' : 'v.status::"DeliveryStatus"';
  // A failed manual try leaves status and schedule alone (status is NULL).
  const set = `
    "status" = COALESCE(${status}, "Delivery"."status"),
    "nextAttemptAt" = CASE WHEN v.status IS NULL THEN "Delivery"."nextAttemptAt" ELSE v.next END,
    "attemptCount" = "Delivery"."attemptCount" + 1,
    "lastAttemptAt" = v.at,
    "updatedAt" = v.at,
    "leaseOwner" = CASE WHEN v.scheduled = 1 THEN NULL ELSE "Delivery"."leaseOwner" END,
    "leaseUntil" = CASE WHEN v.scheduled = 1 THEN NULL ELSE "Delivery"."leaseUntil" END`;
  const sql =
    provider === 'sqlite'
      ? `WITH v(id, status, next, at, scheduled) AS (VALUES ${values})
         UPDATE "Delivery" SET ${set} FROM v WHERE "Delivery"."id" = v.id`
      : `UPDATE "Delivery" SET ${set} FROM (VALUES ${values}) AS v(id, status, next, at, scheduled) WHERE "Delivery"."id" = v.id`;
  return db.$executeRawUnsafe(sql, ...p.values);
}

interface Streak {
  webhookId: string;
  /** Failures since the last success in this batch, or all of them if none succeeded. */
  failures: number;
  succeeded: boolean;
  lastError: string | null;
  gone: boolean;
}

function streaks(outcomes: Outcome[]): Streak[] {
  const byWebhook = new Map<string, Streak>();
  for (const o of outcomes) {
    const s = byWebhook.get(o.job.webhookId) ?? { webhookId: o.job.webhookId, failures: 0, succeeded: false, lastError: null, gone: false };
    if (o.attempt.status === 'SUCCEEDED') {
      s.succeeded = true;
      s.failures = 0;
    } else {
      s.failures += 1;
      s.lastError = o.failureLabel;
      s.gone ||= o.gone;
    }
    byWebhook.set(o.job.webhookId, s);
  }
  return [...byWebhook.values()];
}

function updateStreak(db: Runner, s: Streak) {
  const p = new Params();
  // A clean success streak usually changes nothing; matching no row then
  // takes no row lock, which keeps concurrent workers from contending.
  const sql =
    s.failures === 0
      ? `UPDATE "Webhook" SET "consecutiveFailures" = 0 WHERE "id" = ${p.v(s.webhookId)} AND "consecutiveFailures" <> 0`
      : `UPDATE "Webhook" SET "consecutiveFailures" = ${s.succeeded ? '0' : '"consecutiveFailures"'} + ${p.int(s.failures)},
           "lastError" = COALESCE(${p.text(s.lastError)}, "lastError") WHERE "id" = ${p.v(s.webhookId)}`;
  return db.$executeRawUnsafe(sql, ...p.values);
}

/** Deadlocks and serialisation failures between instances are worth another try. */
function isTransient(err: unknown): boolean {
  const text = String((err as { message?: string })?.message ?? err);
  return /40P01|40001|deadlock|SQLITE_BUSY|database is locked/i.test(text);
}

/**
 * Turns off, inside the transaction that records the attempts, webhooks whose
 * receiver said 410 Gone or failed too often in a row: the same commit that
 * makes a retry due also makes it unclaimable.
 */
async function autoDisableInTx(tx: Tx, batch: Streak[]): Promise<Webhook[]> {
  const threshold = config().autoDisableAfter;
  const suspects = batch.filter((s) => s.gone || s.failures > 0);
  const webhooks = await tx.webhook.findMany({ where: { id: { in: suspects.map((s) => s.webhookId) }, state: 'ACTIVE' } });
  const changed: Webhook[] = [];
  for (const w of webhooks) {
    const s = suspects.find((x) => x.webhookId === w.id)!;
    if (s.gone) changed.push(await changeStateInTx(tx, w, 'STOPPED', 'Stopped because the receiver answered 410 Gone'));
    else if (w.consecutiveFailures >= threshold) {
      const reason = `Disabled after ${w.consecutiveFailures} consecutive failed deliveries; last: ${w.lastError ?? 'unknown error'}`;
      changed.push(await changeStateInTx(tx, w, 'TOO_MANY_ERRORS', reason));
    }
  }
  return changed;
}

/** Writes a batch; returns the webhooks it turned off. */
async function writeBatch(outcomes: Outcome[], batchStreaks: Streak[]): Promise<Webhook[]> {
  // Rows are locked in id order in every instance, so two writers cannot deadlock.
  const byDelivery = [...outcomes].sort((x, y) => (x.job.deliveryId < y.job.deliveryId ? -1 : 1));
  const byWebhook = [...batchStreaks].sort((x, y) => (x.webhookId < y.webhookId ? -1 : 1));
  const anyFailure = batchStreaks.some((s) => s.failures > 0);
  for (let attempt = 1; ; attempt++) {
    try {
      if (!anyFailure) {
        // All succeeded: nothing can be turned off, so one batched transaction does.
        await prisma.$transaction([insertAttempts(prisma, outcomes), updateDeliveries(prisma, byDelivery), ...byWebhook.map((s) => updateStreak(prisma, s))]);
        return [];
      }
      return await prisma.$transaction(async (tx) => {
        await insertAttempts(tx, outcomes);
        await updateDeliveries(tx, byDelivery);
        for (const s of byWebhook) await updateStreak(tx, s);
        return autoDisableInTx(tx, byWebhook);
      });
    } catch (err) {
      if (attempt >= 5 || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

let queue: { outcome: Outcome; done: (err?: unknown) => void }[] = [];
let scheduled = false;
let flushing: Promise<void> = Promise.resolve();
const MAX_BATCH = 200;

async function flush(): Promise<void> {
  scheduled = false;
  const items = queue.splice(0, MAX_BATCH);
  if (queue.length) schedule();
  if (!items.length) return;
  const outcomes = items.map((i) => i.outcome);
  const batchStreaks = streaks(outcomes);
  let turnedOff: Webhook[];
  try {
    turnedOff = await writeBatch(outcomes, batchStreaks);
  } catch (err) {
    // Nothing is lost: the deliveries keep their leases and are retried
    // when those expire.
    logger.error({ err, count: items.length }, 'failed to record delivery attempts');
    for (const i of items) i.done(err);
    return;
  }
  for (const i of items) i.done();
  for (const o of outcomes) void pubsub.publish('attempts:account', o.job.accountId, o.attempt);
  for (const w of turnedOff) {
    logger.warn({ webhookId: w.id, state: w.state, reason: w.stateReason }, 'webhook turned off');
    webhookStateChanged.emit(w);
  }
  if (turnedOff.length) wakeWorkers();
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  // Chain flushes so batches commit in order and never overlap.
  setImmediate(() => {
    flushing = flushing.then(flush, flush);
  });
}

/** Queues an outcome; resolves once it is committed. */
export function record(outcome: Outcome): Promise<void> {
  return new Promise((resolve, reject) => {
    queue.push({ outcome, done: (err) => (err ? reject(err) : resolve()) });
    schedule();
  });
}

/** Waits for every queued outcome to be written. */
export async function drainRecords(): Promise<void> {
  while (queue.length || scheduled) {
    schedule();
    await new Promise((r) => setImmediate(r));
    await flushing;
  }
  await flushing;
}
