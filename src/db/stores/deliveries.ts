// The delivery queue is the Delivery table: claims lease rows, outcomes
// release them. Hand-written SQL throughout: these statements run for every
// delivery, and each handles a whole batch.
import type { Delivery, DeliveryStatus } from '../../generated/prisma/client.js';
import { perDialect, type Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';

export interface ClaimedDelivery {
  id: string;
  accountId: string;
  webhookId: string;
  eventId: string;
  attemptCount: number;
}

export interface ClaimRequest {
  owner: string;
  limit: number;
  leaseMs: number;
  /** At most this many deliveries per webhook in one claim. */
  perWebhook: number;
  /** At most this many deliveries per account in one claim, unless `accountRooms` says fewer. */
  perAccount: number;
  /** Accounts with some of their slots in use: how many each may still take. */
  accountRooms: Record<string, number>;
  /** Webhooks already at their concurrency limit in this worker. */
  excludeWebhookIds: string[];
  /** Accounts already at their concurrency limit in this worker. */
  excludeAccountIds: string[];
}

/**
 * How many of the oldest due rows a claim ranks, so a backlog costs a
 * bounded scan: enough to fill the batch even when a few webhooks own most of
 * them (saturated webhooks and accounts are excluded before this cut).
 */
const candidateWindow = (req: ClaimRequest) => Math.min(4000, req.limit * Math.max(8, req.perWebhook));

/**
 * One statement for both databases: the oldest due rows of active webhooks
 * that are not gated (those are claimed one webhook at a time, see gated.ts),
 * ranked per webhook and then per account, so at most perWebhook of one
 * webhook and the account's free slots of one account are claimed, and the
 * batch takes accounts in turn (every account's oldest row, then every
 * account's second, …): one tenant's backlog or slow receivers cannot fill
 * the worker's slots. Saturated webhooks and accounts are left out before
 * the candidate window, so their backlog cannot crowd others out of it.
 * On PostgreSQL the candidates are row-locked with SKIP LOCKED, so instances
 * claim side by side without waiting on, or double-claiming, each other's
 * rows. SQLite has one writer at a time, so the statement alone is atomic.
 */
const claimSql = perDialect(
  (d) => `
  WITH candidates AS (
    SELECT d."id", d."accountId", d."webhookId", d."nextAttemptAt" FROM "Delivery" d
    WHERE d."status" = 'PENDING' AND d."nextAttemptAt" <= ?
      AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ?)
      AND EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = d."webhookId" AND w."state" = 'ACTIVE' AND NOT w."gated")
      AND NOT (${d.inList('d."webhookId"')})
      AND NOT (${d.inList('d."accountId"')})
    ORDER BY d."nextAttemptAt"
    LIMIT ${d.cast('?', 'int')}
    ${d.skipLocked}
  ), per_webhook AS (
    SELECT "id", "accountId", "nextAttemptAt", ROW_NUMBER() OVER (PARTITION BY "webhookId" ORDER BY "nextAttemptAt", "id") AS rn
    FROM candidates
  ), per_account AS (
    SELECT "id", "accountId", "nextAttemptAt", ROW_NUMBER() OVER (PARTITION BY "accountId" ORDER BY "nextAttemptAt", "id") AS ra
    FROM per_webhook WHERE rn <= ${d.cast('?', 'int')}
  )
  UPDATE "Delivery" SET "leaseOwner" = ?, "leaseUntil" = ?
  WHERE "id" IN (
    SELECT "id" FROM per_account
    WHERE ra <= COALESCE(${d.intInJsonObject('"accountId"')}, ${d.cast('?', 'int')})
    ORDER BY ra, "nextAttemptAt" LIMIT ${d.cast('?', 'int')})
  RETURNING "id", "accountId", "webhookId", "eventId", "attemptCount"`,
);

export async function claimDue(sql: Sql, req: ClaimRequest, now: Date): Promise<ClaimedDelivery[]> {
  if (req.limit <= 0) return [];
  const rows = await sql.all<ClaimedDelivery>(claimSql(sql.dialect), [
    now,
    now,
    req.excludeWebhookIds,
    req.excludeAccountIds,
    candidateWindow(req),
    req.perWebhook,
    req.owner,
    new Date(now.getTime() + req.leaseMs),
    JSON.stringify(req.accountRooms),
    req.perAccount,
    req.limit,
  ]);
  for (const r of rows) r.attemptCount = Number(r.attemptCount);
  return rows;
}

/**
 * Claims given rows by primary key: the delivery thread's fast path for rows
 * it was told about (hints from this instance's publishes). The same
 * conditions as the scanning claim, so a hint can never claim a row that is
 * not due, leased, done or of an inactive or gated webhook; rows another claim took
 * first are skipped (on PostgreSQL without waiting for their locks).
 *
 * Both texts make the id list drive the plan, one primary-key lookup per id:
 * left to themselves, SQLite's planner walks the (status, nextAttemptAt)
 * index and PostgreSQL's the (webhookId, status, …) one over the whole
 * backlog. SQLite: CROSS JOIN fixes the loop order. PostgreSQL: the status
 * test is on text (no index matches it) and the webhook check sits outside
 * the materialised CTE that locks the rows.
 */
const claimByIdsSql = perDialect((d) =>
  d.provider === 'sqlite'
    ? `
  UPDATE "Delivery" SET "leaseOwner" = ?, "leaseUntil" = ?
  WHERE "id" IN (
    SELECT d."id" FROM json_each(?) ids CROSS JOIN "Delivery" d ON d."id" = ids.value
    WHERE d."status" = 'PENDING' AND d."nextAttemptAt" <= ?
      AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ?)
      AND EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = d."webhookId" AND w."state" = 'ACTIVE' AND NOT w."gated"))
  RETURNING "id", "accountId", "webhookId", "eventId", "attemptCount"`
    : `
  WITH lease AS (SELECT ?::text AS owner, ?::timestamp(3) AS until),
  c AS MATERIALIZED (
    SELECT d."id", d."webhookId" FROM "Delivery" d
    WHERE d."id" = ANY(?) AND d."status"::text = 'PENDING' AND d."nextAttemptAt" <= ?
      AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ?)
    FOR UPDATE SKIP LOCKED)
  UPDATE "Delivery" SET "leaseOwner" = (SELECT owner FROM lease), "leaseUntil" = (SELECT until FROM lease)
  WHERE "id" IN (SELECT c."id" FROM c JOIN "Webhook" w ON w."id" = c."webhookId" WHERE w."state" = 'ACTIVE' AND NOT w."gated")
  RETURNING "id", "accountId", "webhookId", "eventId", "attemptCount"`,
);

export async function claimByIds(sql: Sql, req: { owner: string; leaseMs: number; ids: string[] }, now: Date): Promise<ClaimedDelivery[]> {
  if (!req.ids.length) return [];
  const rows = await sql.all<ClaimedDelivery>(claimByIdsSql(sql.dialect), [
    req.owner,
    new Date(now.getTime() + req.leaseMs),
    req.ids,
    now,
    now,
  ]);
  for (const r of rows) r.attemptCount = Number(r.attemptCount);
  return rows;
}

const extendSql = perDialect(
  (d) => `UPDATE "Delivery" SET "leaseUntil" = ? WHERE "leaseOwner" = ? AND ${d.inList('"id"')} AND "leaseUntil" < ?`,
);

/** Lengthens this worker's leases (for webhooks whose own timeout outlasts the usual lease). */
export async function extendLeases(sql: Sql, ids: string[], owner: string, until: Date): Promise<void> {
  if (!ids.length) return;
  await sql.run(extendSql(sql.dialect), [until, owner, ids, until]);
}

const releaseSql = perDialect(
  (d) => `UPDATE "Delivery" SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE "leaseOwner" = ? AND ${d.inList('"id"')}`,
);

/** Gives unstarted claims back, so another worker need not wait for the lease. */
export async function releaseClaims(sql: Sql, ids: string[], owner: string): Promise<void> {
  if (!ids.length) return;
  await sql.run(releaseSql(sql.dialect), [owner, ids]);
}

/**
 * Frees every lease `owner` holds: run when a delivery thread of that owner
 * starts, because none of its owner's claims can still be running (a thread
 * restarted after a crash, or a process restarted with the same
 * INSTANCE_ID). Without it, whatever the dead thread had claimed waits out
 * its lease (a minute by default) before anyone sends it again.
 */
export async function releaseOwnerLeases(sql: Sql, owner: string): Promise<number> {
  return sql.run(`UPDATE "Delivery" SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE "status" = 'PENDING' AND "leaseOwner" = ?`, [owner]);
}

export interface DeliveryOutcome {
  deliveryId: string;
  /** The new status, or null to leave status and schedule alone (a failed manual try). */
  status: DeliveryStatus | null;
  nextAttemptAt: Date | null;
  at: Date;
  /** Scheduled tries release the lease; manual ones leave the worker's lease alone. */
  releasesLease: boolean;
}

const OUTCOME_SQL = `UPDATE "Delivery" SET
    "status" = COALESCE(?, "status"),
    "nextAttemptAt" = CASE WHEN ? IS NULL THEN "nextAttemptAt" ELSE ? END,
    "attemptCount" = "attemptCount" + 1,
    "lastAttemptAt" = ?,
    "updatedAt" = ?,
    "leaseOwner" = CASE WHEN ? THEN NULL ELSE "leaseOwner" END,
    "leaseUntil" = CASE WHEN ? THEN NULL ELSE "leaseUntil" END
  WHERE "id" = ?`;

const OUTCOME_SQL_RETURNING = `${OUTCOME_SQL}
  RETURNING *`;

/** PostgreSQL's batch update from outcomeParams(); `where` may hold the rows back (see recordBatch.ts). */
export const applyOutcomesPg = (where = '') => `UPDATE "Delivery" SET
    "status" = COALESCE(v.status, "Delivery"."status"),
    "nextAttemptAt" = CASE WHEN v.status IS NULL THEN "Delivery"."nextAttemptAt" ELSE v.next END,
    "attemptCount" = "Delivery"."attemptCount" + 1,
    "lastAttemptAt" = v.at,
    "updatedAt" = v.at,
    "leaseOwner" = CASE WHEN v.release THEN NULL ELSE "Delivery"."leaseOwner" END,
    "leaseUntil" = CASE WHEN v.release THEN NULL ELSE "Delivery"."leaseUntil" END
  FROM unnest(?::text[], ?::"DeliveryStatus"[], ?::timestamp(3)[], ?::timestamp(3)[], ?::boolean[]) AS v(id, status, next, at, release)
  WHERE "Delivery"."id" = v.id ${where}`;
const OUTCOMES_PG = applyOutcomesPg();

const OUTCOMES_PG_RETURNING = `${OUTCOMES_PG}
  RETURNING "Delivery".*`;

/** PostgreSQL's parameters for applyOutcomesPg: one array per column. */
export const outcomeParams = (outcomes: readonly DeliveryOutcome[]) => [
  outcomes.map((o) => o.deliveryId),
  outcomes.map((o) => o.status),
  outcomes.map((o) => o.nextAttemptAt?.toISOString() ?? null),
  outcomes.map((o) => o.at.toISOString()),
  outcomes.map((o) => o.releasesLease),
];

/**
 * Applies a batch of outcomes; callers pass them in id order so concurrent
 * writers lock rows in one order. With `returning`, resolves to the
 * deliveries as updated (for the live deliveryUpdated stream); without, to
 * none, sparing a row read and a row object per delivery when no one
 * listens (about 7 µs a delivery on SQLite).
 */
export async function applyOutcomes(sql: Sql, outcomes: DeliveryOutcome[], returning = true): Promise<Delivery[]> {
  if (sql.dialect.provider === 'sqlite') {
    const text = returning ? OUTCOME_SQL_RETURNING : OUTCOME_SQL;
    const updated: Delivery[] = [];
    for (const o of outcomes) {
      const release = o.releasesLease ? 1 : 0;
      const values = [o.status, o.status, o.nextAttemptAt, o.at, o.at, release, release, o.deliveryId];
      if (!returning) {
        await sql.run(text, values);
        continue;
      }
      const row = await sql.get(text, values);
      if (row) updated.push(deliveryFromRow(sql.dialect, row));
    }
    return updated;
  }
  const values = outcomeParams(outcomes);
  if (!returning) {
    await sql.run(OUTCOMES_PG, values);
    return [];
  }
  const rows = await sql.all(OUTCOMES_PG_RETURNING, values);
  return rows.map((r) => deliveryFromRow(sql.dialect, r));
}

/** Deliveries by id, in no order: the recorder's late read of what it changed (see Recorder). Not scoped: internal use only. */
export async function deliveriesByIds(sql: Sql, ids: readonly string[]): Promise<Delivery[]> {
  if (!ids.length) return [];
  const rows = await sql.all(DELIVERIES_BY_IDS(sql.dialect), [ids]);
  return rows.map((r) => deliveryFromRow(sql.dialect, r));
}

const DELIVERIES_BY_IDS = perDialect((d) => `SELECT * FROM "Delivery" WHERE ${d.inList('"id"')}`);

export function deliveryFromRow(d: Dialect, r: Row): Delivery {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    eventId: r.eventId as string,
    webhookId: r.webhookId as string,
    status: r.status as DeliveryStatus,
    attemptCount: Number(r.attemptCount),
    nextAttemptAt: d.dateOrNull(r.nextAttemptAt),
    leaseOwner: (r.leaseOwner as string | null) ?? null,
    leaseUntil: d.dateOrNull(r.leaseUntil),
    lastAttemptAt: d.dateOrNull(r.lastAttemptAt),
    createdAt: d.date(r.createdAt),
    updatedAt: d.date(r.updatedAt),
  };
}

export async function findDelivery(sql: Sql, accountId: string, id: string): Promise<Delivery | null> {
  const r = await sql.get(`SELECT * FROM "Delivery" WHERE "accountId" = ? AND "id" = ?`, [accountId, id]);
  return r ? deliveryFromRow(sql.dialect, r) : null;
}

/** A delivery the worker never claims (no nextAttemptAt): pings are sent once, by the caller. */
export async function insertUnscheduledDelivery(
  sql: Sql,
  d: { id: string; accountId: string; eventId: string; webhookId: string; at: Date },
): Promise<void> {
  await sql.run(
    `INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt")
     VALUES (?, ?, ?, ?, 'PENDING', 0, NULL, ?, ?)`,
    [d.id, d.accountId, d.eventId, d.webhookId, d.at, d.at],
  );
}

/** Requeues a webhook's deliveries that failed for good since `since` (pings excluded); returns them as requeued. */
export async function requeueFailed(
  sql: Sql,
  accountId: string,
  webhookId: string,
  since: Date,
  now: Date,
  excludeType: string,
): Promise<Delivery[]> {
  const rows = await sql.all(
    `UPDATE "Delivery" SET "status" = 'PENDING', "nextAttemptAt" = ?, "updatedAt" = ?, "leaseOwner" = NULL, "leaseUntil" = NULL
     WHERE "accountId" = ? AND "webhookId" = ? AND "status" = 'FAILED' AND "lastAttemptAt" >= ?
       AND "eventId" IN (SELECT e."id" FROM "Event" e WHERE e."accountId" = ? AND e."type" <> ?)
     RETURNING *`,
    [now, now, accountId, webhookId, since, accountId, excludeType],
  );
  return rows.map((r) => deliveryFromRow(sql.dialect, r));
}

/** Paused deliveries of a re-activated webhook are due now rather than at their old retry time. */
export function resumePaused(sql: Sql, webhookId: string, now: Date): Promise<number> {
  return sql.run(`UPDATE "Delivery" SET "nextAttemptAt" = ? WHERE "webhookId" = ? AND "status" = 'PENDING' AND "nextAttemptAt" > ?`, [
    now,
    webhookId,
    now,
  ]);
}
