// The delivery log's pages: account-wide, or per parent (a webhook's
// attempts and deliveries, a delivery's attempts, an event's deliveries).
// Per-parent pages of one list (say, the attempts of each delivery on a
// page) are read together through `batch`, one statement for all parents,
// so a page costs the same statements whatever its size.
import type { Delivery } from '../../generated/prisma/client.js';
import type { AttemptRecord } from '../../db/stores/attempts.js';
import { attemptPage, countAttempts, countDeliveries, deliveryPage, type Parents, type PageWindow } from '../../db/stores/log.js';
import type { Deps } from '../deps.js';
import type { AttemptFilter, DeliveryFilter } from './filter.js';
import type { LogKey } from './cursor.js';
import { boundedCount, COUNT_CAP, planPage, shapePage, type BoundedCount, type LogPage, type PageArgs } from './page.js';

/**
 * Batches loads of one kind by parent id: calls with the same key made in
 * one tick share one `load` of all their ids (the server gives a
 * per-request DataLoader; without one, each call loads alone).
 */
export type Batch = <V>(key: string, load: (ids: readonly string[]) => Promise<V[]>) => (id: string) => Promise<V>;

export const unbatched: Batch = (_key, load) => async (id) => (await load([id]))[0];

export interface LogConnection<T> extends LogPage<T> {
  /** Exact up to COUNT_CAP (10,000), then COUNT_CAP. */
  totalCount(): Promise<number>;
  /** True when more rows match than totalCount says. */
  totalCountIsLowerBound(): Promise<boolean>;
}

export interface Parent<C extends Parents['column']> {
  column: C;
  id: string;
}

function grouped<T extends Record<string, unknown>>(rows: T[], column: string, ids: readonly string[]): T[][] {
  const by = new Map<string, T[]>();
  for (const r of rows) {
    const k = r[column] as string;
    let list = by.get(k);
    if (!list) by.set(k, (list = []));
    list.push(r);
  }
  return ids.map((id) => by.get(id) ?? []);
}

function connection<T extends { createdAt: Date; id: string }>(page: LogPage<T>, count: () => Promise<BoundedCount>): LogConnection<T> {
  let counted: Promise<BoundedCount> | null = null;
  const once = () => (counted ??= count());
  return {
    ...page,
    totalCount: async () => (await once()).count,
    totalCountIsLowerBound: async () => (await once()).capped,
  };
}

/** Reads rows for a page (per parent through `batch`) and its bounded count on demand. */
async function logConnection<T extends { createdAt: Date; id: string }, F, C extends Parents['column']>(
  kind: 'attempt' | 'delivery',
  deps: Deps,
  args: PageArgs,
  filter: F,
  parent: Parent<C> | null,
  batch: Batch,
  read: (w: PageWindow, f: F, parents: Parents | null) => Promise<T[]>,
  count: (f: F, parents: Parents | null) => Promise<Map<string, number>>,
): Promise<LogConnection<T>> {
  const plan = planPage(kind, args, deps.config.maxPageSize);
  const window: PageWindow = { ascending: plan.backward, beyond: plan.from, limit: plan.take + 1 };
  let rows: T[] = [];
  if (plan.take > 0) {
    if (parent) {
      const key = JSON.stringify([kind, parent.column, window, filter]);
      rows = await batch(key, async (ids) =>
        grouped((await read(window, filter, { column: parent.column, ids })) as (T & Record<string, unknown>)[], parent.column, ids),
      )(parent.id);
    } else rows = await read(window, filter, null);
  }
  const counted = async () => {
    if (!parent) return boundedCount((await count(filter, null)).get('') ?? 0);
    const key = JSON.stringify([kind, 'count', parent.column, filter]);
    const load = batch(key, async (ids) => {
      const byId = await count(filter, { column: parent.column, ids });
      return ids.map((id) => byId.get(id) ?? 0);
    });
    return boundedCount(await load(parent.id));
  };
  return connection(shapePage(kind, plan, rows), counted);
}

/** Attempts matching the filter, newest first: account-wide, or of one webhook or delivery. */
export function listAttempts(
  deps: Deps,
  accountId: string,
  args: PageArgs,
  /** Checked by parseAttemptFilter. */
  filter: AttemptFilter,
  parent: Parent<'webhookId' | 'deliveryId'> | null = null,
  batch: Batch = unbatched,
): Promise<LogConnection<AttemptRecord>> {
  return logConnection(
    'attempt',
    deps,
    args,
    filter,
    parent,
    batch,
    (w, f, parents) => attemptPage(deps.sql, { ...w, accountId, filter: f }, parents),
    (f, parents) => countAttempts(deps.sql, accountId, f, COUNT_CAP, parents),
  );
}

/** Deliveries matching the filter, newest first: account-wide, or of one webhook or event. */
export function listDeliveries(
  deps: Deps,
  accountId: string,
  args: PageArgs,
  /** Checked by parseDeliveryFilter. */
  filter: DeliveryFilter,
  parent: Parent<'webhookId' | 'eventId'> | null = null,
  batch: Batch = unbatched,
): Promise<LogConnection<Delivery>> {
  return logConnection(
    'delivery',
    deps,
    args,
    filter,
    parent,
    batch,
    (w, f, parents) => deliveryPage(deps.sql, { ...w, accountId, filter: f }, parents),
    (f, parents) => countDeliveries(deps.sql, accountId, f, COUNT_CAP, parents),
  );
}

/** Stored attempts strictly after `key`, oldest first: the history a stream with a cursor sends before going live. */
export function attemptsAfter(deps: Deps, accountId: string, filter: AttemptFilter, key: LogKey, limit: number): Promise<AttemptRecord[]> {
  return attemptPage(deps.sql, { accountId, filter, ascending: true, beyond: key, limit });
}
