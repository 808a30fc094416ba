// Per-request DataLoaders: one batched, account-scoped statement per kind of
// lookup, whatever the number of rows a list resolves them for.
import DataLoader from 'dataloader';
import { associatesByIds, type Associate } from '../db/stores/accounts.js';
import { webhookStats, type WebhookStats } from '../db/stores/stats.js';
import { eventTypesOf } from '../db/stores/webhooks.js';
import type { Sql } from '../db/sql.js';
import type { PrismaDb } from '../db/prisma.js';

export interface Loaders {
  associate: DataLoader<string, Associate | null>;
  webhookEvents: DataLoader<string, string[]>;
  webhookStats: DataLoader<string, WebhookStats>;
  /** Attempts per delivery (Delivery.attempts' totalCount): one indexed GROUP BY for a page of deliveries. */
  attemptCount: DataLoader<string, number>;
}

export function createLoaders(sql: Sql, db: { prisma: PrismaDb }, accountId: string | null): Loaders {
  // Without an account nothing is visible; every loader answers empty.
  const scope = accountId ?? '\u0000none';
  return {
    associate: new DataLoader(async (ids) => {
      const byId = new Map((await associatesByIds(sql, scope, ids)).map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    webhookEvents: new DataLoader(async (ids) => {
      const byId = await eventTypesOf(sql, scope, ids);
      return ids.map((id) => byId.get(id) ?? []);
    }),
    webhookStats: new DataLoader((ids) => webhookStats(sql, scope, ids)),
    attemptCount: new DataLoader(async (ids) => {
      const rows = await db.prisma.deliveryAttempt.groupBy({
        by: ['deliveryId'],
        where: { accountId: scope, deliveryId: { in: [...ids] } },
        _count: { _all: true },
      });
      const byId = new Map(rows.map((r) => [r.deliveryId, r._count._all]));
      return ids.map((id) => byId.get(id) ?? 0);
    }),
  };
}
