// Bulk operations: their rows, and the batches that do their work. A batch
// selects the next rows after the operation's progress position (keyset,
// oldest first), acts on them and moves the position, in one transaction
// with the operation's counters, so a restart resumes exactly where the
// last commit left it.
import type { BulkOperation } from '../../generated/prisma/client.js';
import type { BulkOperationKind, BulkOperationStatus } from '../../generated/prisma/enums.js';
import type { Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';
import { deliveryConditions, type DeliveryConditions } from './log.js';
import { deliveryFromRow } from './deliveries.js';

export type { BulkOperation };

export function bulkFromRow(d: Dialect, r: Row): BulkOperation {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    kind: r.kind as BulkOperationKind,
    status: r.status as BulkOperationStatus,
    filter: r.filter as string,
    webhookId: (r.webhookId as string | null) ?? null,
    total: Number(r.total),
    done: Number(r.done),
    failed: Number(r.failed),
    until: d.date(r.until),
    progressAt: d.dateOrNull(r.progressAt),
    progressId: (r.progressId as string | null) ?? null,
    createdById: r.createdById as string,
    error: (r.error as string | null) ?? null,
    leaseOwner: (r.leaseOwner as string | null) ?? null,
    leaseUntil: d.dateOrNull(r.leaseUntil),
    createdAt: d.date(r.createdAt),
    updatedAt: d.date(r.updatedAt),
    finishedAt: d.dateOrNull(r.finishedAt),
  };
}

export async function insertBulkOperation(
  sql: Sql,
  o: Pick<BulkOperation, 'id' | 'accountId' | 'kind' | 'filter' | 'webhookId' | 'total' | 'until' | 'createdById' | 'createdAt'>,
): Promise<BulkOperation> {
  const row = await sql.get(
    `INSERT INTO "BulkOperation" ("id", "accountId", "kind", "status", "filter", "webhookId", "total", "done", "failed", "until", "createdById", "createdAt", "updatedAt")
     VALUES (?, ?, ${sql.dialect.cast('?', 'BulkOperationKind')}, 'RUNNING', ?, ?, ?, 0, 0, ?, ?, ?, ?) RETURNING *`,
    [o.id, o.accountId, o.kind, o.filter, o.webhookId, o.total, o.until, o.createdById, o.createdAt, o.createdAt],
  );
  return bulkFromRow(sql.dialect, row!);
}

export async function findBulkOperation(sql: Sql, accountId: string, id: string): Promise<BulkOperation | null> {
  const r = await sql.get(`SELECT * FROM "BulkOperation" WHERE "accountId" = ? AND "id" = ?`, [accountId, id]);
  return r ? bulkFromRow(sql.dialect, r) : null;
}

/** Newest first, keyset-paginated by (createdAt, id). */
export async function listBulkOperations(
  sql: Sql,
  accountId: string,
  q: { limit: number; before: { at: Date; id: string } | null },
): Promise<BulkOperation[]> {
  const d = sql.dialect;
  const values: unknown[] = [accountId];
  let keyset = '';
  if (q.before) {
    keyset = ` AND ("createdAt", "id") < (${d.cast('?', 'timestamp')}, ?)`;
    values.push(q.before.at, q.before.id);
  }
  const rows = await sql.all(
    `SELECT * FROM "BulkOperation" WHERE "accountId" = ?${keyset} ORDER BY "createdAt" DESC, "id" DESC LIMIT ${d.cast('?', 'int')}`,
    [...values, q.limit],
  );
  return rows.map((r) => bulkFromRow(d, r));
}

/** Ends a running operation (cancelled, succeeded or failed); null when it was not running. */
export async function finishBulkOperation(
  sql: Sql,
  accountId: string,
  id: string,
  status: Exclude<BulkOperationStatus, 'RUNNING'>,
  at: Date,
  error: string | null = null,
): Promise<BulkOperation | null> {
  const r = await sql.get(
    `UPDATE "BulkOperation" SET "status" = ${sql.dialect.cast('?', 'BulkOperationStatus')}, "finishedAt" = ?, "updatedAt" = ?, "error" = ?,
       "leaseOwner" = NULL, "leaseUntil" = NULL
     WHERE "accountId" = ? AND "id" = ? AND "status" = 'RUNNING' RETURNING *`,
    [status, at, at, error, accountId, id],
  );
  return r ? bulkFromRow(sql.dialect, r) : null;
}

const CLAIM = (d: Dialect) => `UPDATE "BulkOperation" SET "leaseOwner" = ?, "leaseUntil" = ?
  WHERE "id" = (SELECT "id" FROM "BulkOperation"
    WHERE "status" = 'RUNNING' AND ("leaseOwner" IS NULL OR "leaseOwner" = ? OR "leaseUntil" < ?)
    ORDER BY "updatedAt", "id" LIMIT 1 ${d.skipLocked})
  RETURNING *`;

/**
 * The running operation this instance should work on next: the one that
 * waited longest (so several take turns, batch by batch), among those
 * unleased, leased by `owner`, or whose lease ran out (its instance died).
 */
export async function claimBulkOperation(sql: Sql, owner: string, leaseMs: number, now: Date): Promise<BulkOperation | null> {
  const r = await sql.get(CLAIM(sql.dialect), [owner, new Date(now.getTime() + leaseMs), owner, now]);
  return r ? bulkFromRow(sql.dialect, r) : null;
}

/** Gives up this instance's leases (a clean stop): another instance may take them over at once. */
export async function releaseBulkOperations(sql: Sql, owner: string): Promise<void> {
  await sql.run(`UPDATE "BulkOperation" SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE "leaseOwner" = ? AND "status" = 'RUNNING'`, [
    owner,
  ]);
}

/**
 * Moves a running operation's progress forward by a batch; null when it is
 * no longer running under this lease (cancelled, or taken over): the caller
 * then rolls the batch back.
 */
export async function advanceBulkOperation(
  sql: Sql,
  op: BulkOperation,
  owner: string,
  step: { done: number; failed: number; last: { at: Date; id: string }; at: Date; leaseUntil: Date },
): Promise<BulkOperation | null> {
  const r = await sql.get(
    `UPDATE "BulkOperation" SET "done" = "done" + ?, "failed" = "failed" + ?, "progressAt" = ?, "progressId" = ?, "updatedAt" = ?, "leaseUntil" = ?
     WHERE "id" = ? AND "status" = 'RUNNING' AND "leaseOwner" = ? RETURNING *`,
    [step.done, step.failed, step.last.at, step.last.id, step.at, step.leaseUntil, op.id, owner],
  );
  return r ? bulkFromRow(sql.dialect, r) : null;
}

/** What a retry covers: failed deliveries matching the filter, created at or before `until`, pings left out. */
function retryWhere(d: Dialect, accountId: string, f: DeliveryConditions, until: Date, pingType: string, values: unknown[]) {
  const where = deliveryConditions(d, accountId, { ...f, statuses: ['FAILED'] }, values);
  values.push(until, pingType);
  return `${where} AND d."createdAt" <= ? AND NOT EXISTS (SELECT 1 FROM "Event" e WHERE e."id" = d."eventId" AND e."type" = ?)`;
}

export function countRetry(sql: Sql, accountId: string, f: DeliveryConditions, until: Date, pingType: string): Promise<number> {
  const values: unknown[] = [];
  const where = retryWhere(sql.dialect, accountId, f, until, pingType, values);
  return sql.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "Delivery" d WHERE ${where}`, values).then((r) => Number(r?.n ?? 0));
}

const after = (d: Dialect, a: string, op: BulkOperation, values: unknown[]) => {
  if (!op.progressAt) return '';
  values.push(op.progressAt, op.progressId);
  return ` AND (${a}."createdAt", ${a}."id") > (${d.cast('?', 'timestamp')}, ?)`;
};

/**
 * The next batch of a retry: requeues up to `limit` failed deliveries after
 * the progress position; returns them and the last position looked at.
 */
export async function retryBatch(sql: Sql, op: BulkOperation, f: DeliveryConditions, limit: number, now: Date, pingType: string) {
  const d = sql.dialect;
  const values: unknown[] = [];
  const where = retryWhere(d, op.accountId, f, op.until, pingType, values);
  const keyset = after(d, 'd', op, values);
  const picked = await sql.all<{ id: string; createdAt: unknown }>(
    `SELECT d."id", d."createdAt" FROM "Delivery" d WHERE ${where}${keyset} ORDER BY d."createdAt", d."id" LIMIT ${d.cast('?', 'int')}`,
    [...values, limit],
  );
  if (!picked.length) return { seen: 0, last: null, requeued: [] };
  const rows = await sql.all(
    `UPDATE "Delivery" SET "status" = 'PENDING', "nextAttemptAt" = ?, "updatedAt" = ?, "leaseOwner" = NULL, "leaseUntil" = NULL
     WHERE ${d.inList('"id"')} AND "status" = 'FAILED' RETURNING *`,
    [now, now, picked.map((p) => p.id)],
  );
  const last = picked[picked.length - 1];
  return { seen: picked.length, last: { at: d.date(last.createdAt), id: last.id }, requeued: rows.map((r) => deliveryFromRow(d, r)) };
}

export interface ReplayConditions {
  types: string[] | null;
  from: Date | null;
  to: Date | null;
}

function replayWhere(d: Dialect, accountId: string, f: ReplayConditions, until: Date, pingType: string, values: unknown[]) {
  const parts = [`e."accountId" = ?`, `e."createdAt" <= ?`, `e."type" <> ?`];
  values.push(accountId, until, pingType);
  if (f.types) {
    parts.push(d.inList('e."type"'));
    values.push(f.types);
  }
  if (f.from) {
    parts.push(`e."createdAt" >= ?`);
    values.push(f.from);
  }
  if (f.to) {
    parts.push(`e."createdAt" < ?`);
    values.push(f.to);
  }
  return parts.join(' AND ');
}

export function countReplay(sql: Sql, accountId: string, f: ReplayConditions, until: Date, pingType: string): Promise<number> {
  const values: unknown[] = [];
  const where = replayWhere(sql.dialect, accountId, f, until, pingType, values);
  return sql.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "Event" e WHERE ${where}`, values).then((r) => Number(r?.n ?? 0));
}

/**
 * The next batch of a replay: one new delivery to the webhook per event
 * after the progress position, due now. Events whose payload retention
 * removed cannot be sent: they count as failed.
 */
export async function replayBatch(sql: Sql, op: BulkOperation, f: ReplayConditions, limit: number, now: Date, pingType: string) {
  const d = sql.dialect;
  const values: unknown[] = [];
  const where = replayWhere(d, op.accountId, f, op.until, pingType, values);
  const keyset = after(d, 'e', op, values);
  const picked = await sql.all<{ id: string; createdAt: unknown; pruned: unknown }>(
    `SELECT e."id", e."createdAt", (e."payload" IS NULL) AS "pruned" FROM "Event" e WHERE ${where}${keyset}
     ORDER BY e."createdAt", e."id" LIMIT ${d.cast('?', 'int')}`,
    [...values, limit],
  );
  if (!picked.length) return { seen: 0, last: null, created: 0, pruned: 0 };
  const sendable = picked.filter((p) => !d.bool(p.pruned)).map((p) => p.id);
  let created = 0;
  if (sendable.length) {
    created = await sql.run(
      `INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt")
       SELECT ${d.newIdSql}, e."accountId", e."id", ?, 'PENDING', 0, ?, ?, ? FROM "Event" e WHERE e."accountId" = ? AND ${d.inList('e."id"')}`,
      [op.webhookId, now, now, now, op.accountId, sendable],
    );
  }
  const last = picked[picked.length - 1];
  return { seen: picked.length, last: { at: d.date(last.createdAt), id: last.id }, created, pruned: picked.length - sendable.length };
}
