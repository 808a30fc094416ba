// Delivery statistics for a batch of webhooks, in two statements whatever
// the batch size (the DataLoader behind Webhook.stats).
import type { Sql } from '../sql.js';

export interface WebhookStats {
  succeededCount: number;
  failedCount: number;
  pendingCount: number;
  consecutiveFailures: number;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
}

const empty = (): WebhookStats => ({
  succeededCount: 0,
  failedCount: 0,
  pendingCount: 0,
  consecutiveFailures: 0,
  lastAttemptAt: null,
  lastSuccessAt: null,
});

export async function webhookStats(sql: Sql, accountId: string, ids: readonly string[]): Promise<WebhookStats[]> {
  const d = sql.dialect;
  const [counts, latest] = await Promise.all([
    sql.all<{ webhookId: string; status: string; n: number; failures: number }>(
      `SELECT d."webhookId", d."status", COUNT(*) AS "n" FROM "Delivery" d
       WHERE d."accountId" = ? AND ${d.inList('d."webhookId"')} GROUP BY d."webhookId", d."status"`,
      [accountId, ids],
    ),
    sql.all<{ webhookId: string; status: string; at: unknown; failures: number }>(
      `SELECT w."id" AS "webhookId", a."status", MAX(a."createdAt") AS "at", MAX(w."consecutiveFailures") AS "failures"
       FROM "Webhook" w LEFT JOIN "DeliveryAttempt" a ON a."webhookId" = w."id"
       WHERE w."accountId" = ? AND ${d.inList('w."id"')} GROUP BY w."id", a."status"`,
      [accountId, ids],
    ),
  ]);
  const stats = new Map(ids.map((id) => [id, empty()]));
  for (const c of counts) {
    const s = stats.get(c.webhookId)!;
    if (c.status === 'SUCCEEDED') s.succeededCount = Number(c.n);
    else if (c.status === 'FAILED') s.failedCount = Number(c.n);
    else s.pendingCount = Number(c.n);
  }
  for (const l of latest) {
    const s = stats.get(l.webhookId)!;
    s.consecutiveFailures = Number(l.failures);
    const at = d.dateOrNull(l.at);
    if (at && (!s.lastAttemptAt || at > s.lastAttemptAt)) s.lastAttemptAt = at;
    if (at && l.status === 'SUCCEEDED') s.lastSuccessAt = at;
  }
  return ids.map((id) => stats.get(id)!);
}
