// Delivery statistics for a batch of webhooks, in a fixed number of queries.
import { prisma } from '../db/client.js';
import { Params, toDate } from '../db/sql.js';

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

/**
 * The latest attempt time per webhook and status. Raw SQL because Prisma's
 * groupBy `_max` on a DateTime column returns Invalid Date with the SQLite
 * adapter's unixepoch-ms timestamps.
 */
function latestAttempts(accountId: string, ids: readonly string[]) {
  if (!ids.length) return Promise.resolve([]);
  const p = new Params();
  const sql = `SELECT "webhookId", "status", MAX("createdAt") AS "at" FROM "DeliveryAttempt"
    WHERE "accountId" = ${p.v(accountId)} AND "webhookId" IN (${p.list([...ids])})
    GROUP BY "webhookId", "status"`;
  return prisma.$queryRawUnsafe<{ webhookId: string; status: string; at: unknown }[]>(sql, ...p.values);
}

export async function loadWebhookStats(accountId: string, ids: readonly string[]): Promise<WebhookStats[]> {
  const webhookId = { in: [...ids] };
  const [counts, latest, webhooks] = await Promise.all([
    prisma.delivery.groupBy({ by: ['webhookId', 'status'], where: { accountId, webhookId }, _count: { _all: true } }),
    latestAttempts(accountId, ids),
    prisma.webhook.findMany({ where: { accountId, id: webhookId }, select: { id: true, consecutiveFailures: true } }),
  ]);
  const stats = new Map(ids.map((id) => [id, empty()]));
  for (const c of counts) {
    const s = stats.get(c.webhookId)!;
    if (c.status === 'SUCCEEDED') s.succeededCount = c._count._all;
    else if (c.status === 'FAILED') s.failedCount = c._count._all;
    else s.pendingCount = c._count._all;
  }
  for (const l of latest) {
    const s = stats.get(String(l.webhookId))!;
    const at = toDate(l.at);
    if (at && (!s.lastAttemptAt || at > s.lastAttemptAt)) s.lastAttemptAt = at;
    if (at && l.status === 'SUCCEEDED') s.lastSuccessAt = at;
  }
  for (const w of webhooks) stats.get(w.id)!.consecutiveFailures = w.consecutiveFailures;
  return ids.map((id) => stats.get(id)!);
}
