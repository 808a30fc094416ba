// Delivery statistics for a batch of webhooks, in one statement whatever the
// batch size (the DataLoader behind Webhook.stats). Each figure is a
// correlated subquery on a covering index ((webhookId, status, createdAt)
// for deliveries, (webhookId, createdAt) for attempts); scoping by the
// webhook's account keeps the index scans free of table lookups.
import { perDialect, type Dialect } from '../dialect.js';
import type { Sql } from '../sql.js';

export interface WebhookStats {
  succeededCount: number;
  failedCount: number;
  pendingCount: number;
  consecutiveFailures: number;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
}

const count = (status: string) => `(SELECT COUNT(*) FROM "Delivery" d WHERE d."webhookId" = w."id" AND d."status" = '${status}')`;

const statsSql = (d: Dialect) => `
  SELECT w."id", w."consecutiveFailures",
    ${count('SUCCEEDED')} AS "succeeded", ${count('FAILED')} AS "failed", ${count('PENDING')} AS "pending",
    (SELECT MAX(a."createdAt") FROM "DeliveryAttempt" a WHERE a."webhookId" = w."id") AS "lastAttemptAt",
    (SELECT MAX(a."createdAt") FROM "DeliveryAttempt" a WHERE a."webhookId" = w."id" AND a."status" = 'SUCCEEDED') AS "lastSuccessAt"
  FROM "Webhook" w WHERE ${d.scope('w."accountId"')} = ? AND ${d.inList('w."id"')}`;

const statsText = perDialect(statsSql);

export async function webhookStats(sql: Sql, accountId: string, ids: readonly string[]): Promise<WebhookStats[]> {
  const d = sql.dialect;
  const rows = await sql.all<Record<string, unknown>>(statsText(d), [accountId, ids]);
  const byId = new Map(
    rows.map((r) => [
      r.id as string,
      {
        succeededCount: Number(r.succeeded),
        failedCount: Number(r.failed),
        pendingCount: Number(r.pending),
        consecutiveFailures: Number(r.consecutiveFailures),
        lastAttemptAt: d.dateOrNull(r.lastAttemptAt),
        lastSuccessAt: d.dateOrNull(r.lastSuccessAt),
      },
    ]),
  );
  return ids.map(
    (id) =>
      byId.get(id) ?? {
        succeededCount: 0,
        failedCount: 0,
        pendingCount: 0,
        consecutiveFailures: 0,
        lastAttemptAt: null,
        lastSuccessAt: null,
      },
  );
}
