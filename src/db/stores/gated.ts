// Claims for gated webhooks: those with a delivery policy the batch claim
// (deliveries.ts) cannot apply: a concurrency of their own, a rate limit, a
// circuit that is not closed (its deliveries pause but for one probe),
// ordered delivery (one at a time, the oldest first). The batch
// claim leaves them out (one column test on the webhook row it already
// reads); the delivery thread looks for gated webhooks with due work and
// claims each one's deliveries on its own, as many as its policy allows now.
// So webhooks without a policy pay nothing but that column test, and a gated
// webhook's backlog stays unclaimed in the table, holding no delivery slot.
import { perDialect } from '../dialect.js';
import type { Sql, Tx } from '../sql.js';
import type { ClaimedDelivery } from './deliveries.js';
import { gateFromRow, intOrNull, type CircuitRow } from './webhooks.js';
import type { CircuitState } from '../../generated/prisma/client.js';

export interface GatedWebhook {
  id: string;
  accountId: string;
  maxConcurrency: number | null;
  rateLimit: number | null;
  circuitState: CircuitState;
  ordered: boolean;
}

export interface GatedLookup {
  /** Webhooks this worker cannot take more of now (at their concurrency). */
  excludeWebhookIds: string[];
  /** Accounts at their concurrency limit in this worker. */
  excludeAccountIds: string[];
  limit: number;
}

/**
 * An ordered webhook's head: its oldest pending scheduled delivery, in event
 * order (the event's time, then its id; the delivery's id last, for an
 * event replayed to the same webhook). Pings (no nextAttemptAt) are sent
 * apart and never hold the line. The (webhookId, status, createdAt) index
 * gives it in order.
 */
const HEAD = (webhookId: string) => `
  SELECT h."id" FROM "Delivery" h
  WHERE h."webhookId" = ${webhookId} AND h."status" = 'PENDING' AND h."nextAttemptAt" IS NOT NULL
  ORDER BY h."createdAt", h."eventId", h."id" LIMIT 1`;

/**
 * Active gated webhooks with a due, unleased delivery (for an ordered one:
 * whose head is due and unleased). Driven by the gated index (usually an
 * empty range, so the look costs next to nothing when no webhook has a
 * policy), then one probe of the (webhookId, status, …) index per gated
 * webhook. Webhooks whose limiter or circuit does not allow a delivery now
 * are left out before that probe.
 */
const DUE_GATED = perDialect(
  (d) => `
  SELECT w."id", w."accountId", w."maxConcurrency", w."rateLimit", w."circuitState", w."ordered" FROM "Webhook" w
  WHERE w."gated" = ${d.cast('?', 'bool')} AND w."state" = 'ACTIVE'
    AND (w."rateAllowAt" IS NULL OR w."rateAllowAt" <= ?)
    AND (w."circuitState" = 'CLOSED' OR w."circuitNextProbeAt" <= ?)
    AND NOT (${d.inList('w."id"')}) AND NOT (${d.inList('w."accountId"')})
    AND CASE WHEN w."ordered"
      THEN EXISTS (
        SELECT 1 FROM "Delivery" d WHERE d."id" = (${HEAD('w."id"')})
          AND d."nextAttemptAt" <= ? AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ?))
      ELSE EXISTS (
        SELECT 1 FROM "Delivery" d WHERE d."webhookId" = w."id" AND d."status" = 'PENDING'
          AND d."nextAttemptAt" <= ? AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ?))
      END
  LIMIT ${d.cast('?', 'int')}`,
);

export async function dueGatedWebhooks(sql: Sql, q: GatedLookup, now: Date): Promise<GatedWebhook[]> {
  const rows = await sql.all<GatedWebhook>(DUE_GATED(sql.dialect), [
    true,
    now,
    now,
    q.excludeWebhookIds,
    q.excludeAccountIds,
    now,
    now,
    now,
    now,
    q.limit,
  ]);
  for (const r of rows) {
    r.maxConcurrency = intOrNull(r.maxConcurrency);
    r.rateLimit = intOrNull(r.rateLimit);
    r.ordered = sql.dialect.bool(r.ordered);
  }
  return rows;
}

/** What a gated claim decides on, read fresh under the webhook's row lock. */
export interface GateState extends CircuitRow {
  state: string;
  rateLimit: number | null;
  rateAllowAt: Date | null;
}

const LOCK_GATE = perDialect(
  (d) => `SELECT "state", "rateLimit", "rateAllowAt", "circuitState", "circuitOpenedAt", "circuitNextProbeAt", "circuitCooldownMs"
  FROM "Webhook" WHERE "id" = ? ${d.forUpdate}`,
);

/**
 * The webhook's gate, locked until the transaction ends on PostgreSQL (so
 * instances claiming for one webhook take turns with its limiter); SQLite's
 * write transaction already excludes every other.
 */
export async function lockGate(tx: Tx, webhookId: string): Promise<GateState | null> {
  const r = await tx.get(LOCK_GATE(tx.dialect), [webhookId]);
  if (!r) return null;
  return { state: r.state as string, ...gateFromRow(tx.dialect, r) };
}

export async function setRateAllowAt(tx: Tx, webhookId: string, at: Date | null): Promise<void> {
  await tx.run(`UPDATE "Webhook" SET "rateAllowAt" = ? WHERE "id" = ?`, [at, webhookId]);
}

export interface GatedClaim {
  webhookId: string;
  owner: string;
  leaseMs: number;
  /** At most this many (what the webhook's policy and this worker's slots allow). */
  limit: number;
}

/**
 * Leases up to `limit` of one webhook's due deliveries, oldest first (by
 * creation, which its index gives in order, so a long backlog costs no sort),
 * if the webhook is still active. On PostgreSQL rows another instance holds
 * are skipped, not waited for.
 */
const CLAIM_GATED = perDialect(
  (d) => `
  WITH c AS (
    SELECT d."id" FROM "Delivery" d
    WHERE d."webhookId" = ? AND d."status" = 'PENDING' AND d."nextAttemptAt" <= ?
      AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ?)
      AND EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = d."webhookId" AND w."state" = 'ACTIVE')
    ORDER BY d."createdAt", d."id"
    LIMIT ${d.cast('?', 'int')}
    ${d.skipLocked})
  UPDATE "Delivery" SET "leaseOwner" = ?, "leaseUntil" = ?
  WHERE "id" IN (SELECT "id" FROM c)
  RETURNING "id", "accountId", "webhookId", "eventId", "attemptCount"`,
);

export async function claimGated(sql: Sql, c: GatedClaim, now: Date): Promise<ClaimedDelivery[]> {
  if (c.limit <= 0) return [];
  const rows = await sql.all<ClaimedDelivery>(CLAIM_GATED(sql.dialect), [
    c.webhookId,
    now,
    now,
    c.limit,
    c.owner,
    new Date(now.getTime() + c.leaseMs),
  ]);
  for (const r of rows) r.attemptCount = Number(r.attemptCount);
  return rows;
}

/**
 * Leases an ordered webhook's head (see HEAD) if it is due and unleased: at
 * most one of its deliveries is ever leased, so they go one at a time, in
 * order, and a failing one blocks the rest until it succeeds or fails for
 * good. On PostgreSQL a head another transaction holds (being claimed, or
 * its outcome being written) is skipped, never the next one taken instead.
 */
const CLAIM_HEAD = perDialect(
  (d) => `
  WITH c AS (
    SELECT d."id" FROM "Delivery" d
    WHERE d."id" = (${HEAD('?')}) AND d."status" = 'PENDING' AND d."nextAttemptAt" <= ?
      AND (d."leaseUntil" IS NULL OR d."leaseUntil" < ?)
      AND EXISTS (SELECT 1 FROM "Webhook" w WHERE w."id" = d."webhookId" AND w."state" = 'ACTIVE')
    ${d.skipLocked})
  UPDATE "Delivery" SET "leaseOwner" = ?, "leaseUntil" = ?
  WHERE "id" IN (SELECT "id" FROM c)
  RETURNING "id", "accountId", "webhookId", "eventId", "attemptCount"`,
);

export async function claimHead(sql: Sql, c: Omit<GatedClaim, 'limit'>, now: Date): Promise<ClaimedDelivery[]> {
  const rows = await sql.all<ClaimedDelivery>(CLAIM_HEAD(sql.dialect), [
    c.webhookId,
    now,
    now,
    c.owner,
    new Date(now.getTime() + c.leaseMs),
  ]);
  for (const r of rows) r.attemptCount = Number(r.attemptCount);
  return rows;
}
