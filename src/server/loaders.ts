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

/**
 * The loaders of one request, each built on first use: every request gets a
 * set, and most operations (a publish, any other mutation) use none of them.
 */
class RequestLoaders implements Loaders {
  private made: Partial<Loaders> = {};
  constructor(
    private readonly sql: Sql,
    private readonly db: { prisma: PrismaDb },
    /** Without an account nothing is visible; every loader answers empty. */
    private readonly scope: string,
  ) {}

  get associate() {
    return (this.made.associate ??= new DataLoader(async (ids) => {
      const byId = new Map((await associatesByIds(this.sql, this.scope, ids)).map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }));
  }

  get webhookEvents() {
    return (this.made.webhookEvents ??= new DataLoader(async (ids) => {
      const byId = await eventTypesOf(this.sql, this.scope, ids);
      return ids.map((id) => byId.get(id) ?? []);
    }));
  }

  get webhookStats() {
    return (this.made.webhookStats ??= new DataLoader((ids) => webhookStats(this.sql, this.scope, ids)));
  }

  get attemptCount() {
    return (this.made.attemptCount ??= new DataLoader(async (ids) => {
      const rows = await this.db.prisma.deliveryAttempt.groupBy({
        by: ['deliveryId'],
        where: { accountId: this.scope, deliveryId: { in: [...ids] } },
        _count: { _all: true },
      });
      const byId = new Map(rows.map((r) => [r.deliveryId, r._count._all]));
      return ids.map((id) => byId.get(id) ?? 0);
    }));
  }
}

export function createLoaders(sql: Sql, db: { prisma: PrismaDb }, accountId: string | null): Loaders {
  return new RequestLoaders(sql, db, accountId ?? '\u0000none');
}
