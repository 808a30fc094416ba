// Per-request DataLoaders: one batched, account-scoped statement per kind of
// lookup, whatever the number of rows a list resolves them for.
import DataLoader from 'dataloader';
import { associatesByIds, type Associate } from '../db/stores/accounts.js';
import { webhookStats, type WebhookStats } from '../db/stores/stats.js';
import { eventTypesOf } from '../db/stores/webhooks.js';
import type { Sql } from '../db/sql.js';

export interface Loaders {
  associate: DataLoader<string, Associate | null>;
  webhookEvents: DataLoader<string, string[]>;
  webhookStats: DataLoader<string, WebhookStats>;
}

export function createLoaders(sql: Sql, accountId: string | null): Loaders {
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
  };
}
