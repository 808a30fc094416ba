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
 * How many of the oldest due rows the SQLite claim ranks, so a backlog costs
 * a bounded scan: enough to fill the batch even when a few webhooks own most
 * of them (saturated webhooks are excluded before this cut).
 */
const candidateWindow = (req: ClaimRequest) => Math.min(4000, req.limit * Math.max(8, req.perWebhook));

function sqliteClaim(req: ClaimRequest, now: Date): { sql: string; values: unknown[] } {
  // SQLite binds "?" in text order, so every placeholder is written inline,
  // in the order it appears.
  const p = new Params();
  const exclude = () => (req.excludeWebhookIds.length ? `AND d."webhookId" NOT IN (${p.list(req.excludeWebhookIds)})` : '');
  const sql = `
    WITH candidates AS (
      SELECT d."id", d."webhookId", d."nextAttemptAt"
      FROM "Delivery" d JOIN "Webhook" w ON w."id" = d."webhookId"
      WHERE d."status" = 'PENDING' AND d."nextAttemptAt" <= ${p.ts(now)}
        AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ${p.ts(now)})
        AND w."state" = 'ACTIVE' ${exclude()}
      ORDER BY d."nextAttemptAt"
      LIMIT ${p.int(candidateWindow(req))}
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

function pgClaim(req: ClaimRequest, now: Date): { sql: string; values: unknown[] } {
  const p = new Params();
  const due = p.ts(now);
  // SKIP LOCKED lets several instances claim side by side without waiting
  // on, or double-claiming, each other's rows. Row locks cannot be taken in a
  // query with window functions, so the due rows are locked first and ranked
  // per webhook after: like SQLite, at most perWebhook of one webhook per
  // claim, so a slow webhook's backlog cannot fill the worker's slots.
  const sql = `
    WITH candidates AS (
      SELECT d."id", d."webhookId", d."nextAttemptAt" FROM "Delivery" d
      WHERE d."status" = 'PENDING' AND d."nextAttemptAt" <= ${due}
        AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ${due})
        AND EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = d."webhookId" AND w."state" = 'ACTIVE')
        ${req.excludeWebhookIds.length ? `AND d."webhookId" NOT IN (${p.list(req.excludeWebhookIds)})` : ''}
      ORDER BY d."nextAttemptAt"
      LIMIT ${p.int(candidateWindow(req))}
      FOR UPDATE SKIP LOCKED
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
  const { sql, values } = provider === 'sqlite' ? sqliteClaim(req, now) : pgClaim(req, now);
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
