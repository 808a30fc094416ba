// Delivery statistics for a batch of webhooks, in a fixed number of queries.
import { prisma } from '../db/client.js';

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

export async function loadWebhookStats(accountId: string, ids: readonly string[]): Promise<WebhookStats[]> {
  const webhookId = { in: [...ids] };
  const [counts, latest, webhooks] = await Promise.all([
    prisma.delivery.groupBy({ by: ['webhookId', 'status'], where: { accountId, webhookId }, _count: { _all: true } }),
    prisma.deliveryAttempt.groupBy({ by: ['webhookId', 'status'], where: { accountId, webhookId }, _max: { createdAt: true } }),
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
    const s = stats.get(l.webhookId)!;
    const at = l._max.createdAt;
    if (at && (!s.lastAttemptAt || at > s.lastAttemptAt)) s.lastAttemptAt = at;
    if (at && l.status === 'SUCCEEDED') s.lastSuccessAt = at;
  }
  for (const w of webhooks) stats.get(w.id)!.consecutiveFailures = w.consecutiveFailures;
  return ids.map((id) => stats.get(id)!);
}
