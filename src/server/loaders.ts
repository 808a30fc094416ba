// Per-request DataLoaders: one batched, account-scoped statement per kind of
// lookup, whatever the number of rows a list resolves them for.
import DataLoader from 'dataloader';
import { associatesByIds, type Associate } from '../db/stores/accounts.js';
import { webhookStats, type WebhookStats } from '../db/stores/stats.js';
import { eventTypesOf, webhooksByIdsIn, type Webhook } from '../db/stores/webhooks.js';
import { deliveriesByIds, eventsByIdsIn } from '../db/stores/log.js';
import type { Delivery, Event } from '../generated/prisma/client.js';
import type { Batch } from '../domain/log/service.js';
import type { Sql } from '../db/sql.js';
import type { PrismaDb } from '../db/prisma.js';
import { catalogOf, type EventTypeInfo } from '../domain/catalog.js';

export interface Loaders {
  associate: DataLoader<string, Associate | null>;
  webhookEvents: DataLoader<string, string[]>;
  webhookStats: DataLoader<string, WebhookStats>;
  /** The catalog entries of a webhook's event types ("*": the whole catalog): its events' batch plus one catalog read per request. */
  webhookEventTypes: DataLoader<string, EventTypeInfo[]>;
  /** Object links of the delivery log (DeliveryAttempt.webhook, .delivery, .event; Delivery.webhook, .event). */
  webhook: DataLoader<string, Webhook | null>;
  delivery: DataLoader<string, Delivery | null>;
  event: DataLoader<string, Event | null>;
  /** Per-parent pages of the delivery log, batched by what they ask (src/domain/log/service.ts). */
  batch: Batch;
}

/**
 * The delivery log's loaders batch within a tick but keep nothing: a
 * subscription's context lives as long as its stream, and a cached delivery
 * or webhook would go stale (and pile up) there.
 */
const UNCACHED = { cache: false } as const;

function byId<T extends { id: string }>(load: (ids: readonly string[]) => Promise<T[]>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const found = new Map((await load(ids)).map((r) => [r.id, r]));
    return ids.map((id) => found.get(id) ?? null);
  }, UNCACHED);
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

  get webhookEventTypes() {
    return (this.made.webhookEventTypes ??= new DataLoader(async (ids) => {
      const [names, catalog] = await Promise.all([this.webhookEvents.loadMany(ids), catalogOf({ sql: this.sql }, this.scope)]);
      return names.map((list) => {
        if (list instanceof Error) return list;
        if (list.includes('*')) return catalog;
        // In catalog order (by group, then name). A type removed from the
        // catalog since has no group to show: left out.
        const subscribed = new Set(list);
        return catalog.filter((e) => subscribed.has(e.name));
      });
    }));
  }

  get webhookStats() {
    return (this.made.webhookStats ??= new DataLoader((ids) => webhookStats(this.sql, this.scope, ids)));
  }

  get webhook() {
    return (this.made.webhook ??= byId((ids) => webhooksByIdsIn(this.sql, this.scope, ids)));
  }

  get delivery() {
    return (this.made.delivery ??= byId((ids) => deliveriesByIds(this.sql, this.scope, ids)));
  }

  get event() {
    return (this.made.event ??= byId((ids) => eventsByIdsIn(this.sql, this.scope, ids)));
  }

  private readonly batches = new Map<string, DataLoader<string, unknown>>();

  readonly batch: Batch = <V>(key: string, load: (ids: readonly string[]) => Promise<V[]>) => {
    let loader = this.batches.get(key) as DataLoader<string, V> | undefined;
    if (!loader) {
      loader = new DataLoader<string, V>(load, UNCACHED);
      // A long-lived (subscription) context asks few distinct things; a request is short.
      if (this.batches.size > 1000) this.batches.clear();
      this.batches.set(key, loader as DataLoader<string, unknown>);
    }
    const l = loader;
    return (id: string) => l.load(id);
  };
}

export function createLoaders(sql: Sql, db: { prisma: PrismaDb }, accountId: string | null): Loaders {
  return new RequestLoaders(sql, db, accountId ?? '\u0000none');
}
