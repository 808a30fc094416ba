// Atomic batch claims. A claim sets a lease; a delivery whose lease has run
// out (its worker died) is due again and another worker claims it.
import { prisma, provider } from '../db/client.js';
import { Params } from '../db/sql.js';

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
  /** Webhooks already at their concurrency limit in this worker. */
  excludeWebhookIds: string[];
}

/**
 * How many of the oldest due rows a claim ranks, so a backlog costs
 * a bounded scan: enough to fill the batch even when a few webhooks own most
 * of them (saturated webhooks are excluded before this cut).
 */
const candidateWindow = (req: ClaimRequest) => Math.min(4000, req.limit * Math.max(8, req.perWebhook));

/**
 * One statement for both providers: the oldest due rows of active webhooks,
 * ranked per webhook so at most perWebhook of one webhook are claimed and a
 * slow webhook's backlog cannot fill the worker's slots.
 *
 * On PostgreSQL the candidates are row-locked with SKIP LOCKED, so several
 * instances claim side by side without waiting on, or double-claiming, each
 * other's rows (locks cannot be taken in the ranking query itself). SQLite
 * has one writer at a time, so the statement alone is atomic.
 */
function claimStatement(req: ClaimRequest, now: Date): { sql: string; values: unknown[] } {
  // SQLite binds "?" in text order: every placeholder is written inline, in order.
  const p = new Params();
  const sql = `
    WITH candidates AS (
      SELECT d."id", d."webhookId", d."nextAttemptAt" FROM "Delivery" d
      WHERE d."status" = 'PENDING' AND d."nextAttemptAt" <= ${p.ts(now)}
        AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ${p.ts(now)})
        AND EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = d."webhookId" AND w."state" = 'ACTIVE')
        ${req.excludeWebhookIds.length ? `AND d."webhookId" NOT IN (${p.list(req.excludeWebhookIds)})` : ''}
      ORDER BY d."nextAttemptAt"
      LIMIT ${p.int(candidateWindow(req))}
      ${provider === 'postgresql' ? 'FOR UPDATE SKIP LOCKED' : ''}
    ), ranked AS (
      SELECT "id", "nextAttemptAt",
        ROW_NUMBER() OVER (PARTITION BY "webhookId" ORDER BY "nextAttemptAt", "id") AS rn
      FROM candidates
    )
    UPDATE "Delivery" SET "leaseOwner" = ${p.v(req.owner)}, "leaseUntil" = ${p.ts(new Date(now.getTime() + req.leaseMs))}
    WHERE "id" IN (SELECT "id" FROM ranked WHERE rn <= ${p.int(req.perWebhook)} ORDER BY "nextAttemptAt" LIMIT ${p.int(req.limit)})
    RETURNING "id", "accountId", "webhookId", "eventId", "attemptCount"`;
  return { sql, values: p.values };
}

export async function claimDue(req: ClaimRequest, now = new Date()): Promise<ClaimedDelivery[]> {
  if (req.limit <= 0) return [];
  const { sql, values } = claimStatement(req, now);
  const rows = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...values);
  return rows.map((r) => ({
    id: String(r.id),
    accountId: String(r.accountId),
    webhookId: String(r.webhookId),
    eventId: String(r.eventId),
    attemptCount: Number(r.attemptCount),
  }));
}

/** Gives unstarted claims back, so another worker need not wait for the lease. */
export async function releaseClaims(ids: string[], owner: string): Promise<void> {
  if (!ids.length) return;
  const p = new Params();
  const sql = `UPDATE "Delivery" SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE "leaseOwner" = ${p.v(owner)} AND "id" IN (${p.list(ids)})`;
  await prisma.$executeRawUnsafe(sql, ...p.values);
}
