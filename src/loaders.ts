// Per-request DataLoaders: one batched, account-scoped query per kind of
// lookup, whatever the number of rows a list resolves them for.
import DataLoader from 'dataloader';
import { prisma } from './db/client.js';
import type { Associate } from './generated/prisma/client.js';
import { loadWebhookStats, type WebhookStats } from './dispatch/stats.js';

export interface Loaders {
  associate: DataLoader<string, Associate | null>;
  webhookEvents: DataLoader<string, string[]>;
  webhookStats: DataLoader<string, WebhookStats>;
}

export function createLoaders(accountId: string | null): Loaders {
  // Without an account nothing is visible; every loader answers empty.
  const scope = accountId ?? '\u0000none';
  return {
    associate: new DataLoader(async (ids) => {
      const rows = await prisma.associate.findMany({ where: { accountId: scope, id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    webhookEvents: new DataLoader(async (ids) => {
      const rows = await prisma.webhookEvent.findMany({
        where: { accountId: scope, webhookId: { in: [...ids] } },
        select: { webhookId: true, eventType: true },
        orderBy: { eventType: 'asc' },
      });
      const byId = new Map<string, string[]>();
      for (const r of rows) byId.set(r.webhookId, [...(byId.get(r.webhookId) ?? []), r.eventType]);
      return ids.map((id) => byId.get(id) ?? []);
    }),
    webhookStats: new DataLoader((ids) => loadWebhookStats(scope, ids)),
  };
}
