// Read side of the delivery log: events, deliveries and attempts, newest
// first, with keyset cursors over (createdAt, id).
import { GraphQLError } from 'graphql';
import type { Deps } from '../domain/deps.js';
import type { AttemptStatus, Delivery, DeliveryAttempt, DeliveryStatus, Event } from '../generated/prisma/client.js';
import { decodeLogCursor, encodeLogCursor } from './logCursor.js';

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
}

interface Keyed {
  id: string;
  createdAt: Date;
}

function pageSize(first: number | null | undefined, max: number): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new GraphQLError(`first must be between 0 and ${max}`, { extensions: { code: 'BAD_USER_INPUT', field: ['first'] } });
  }
  return n;
}

/** `where` for rows older than the cursor in (createdAt desc, id desc) order. */
function olderThan(after: string | null | undefined) {
  if (!after) return {};
  const c = decodeLogCursor(after);
  return { OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] };
}

async function page<T extends Keyed, W extends object>(
  max: number,
  find: (args: { where: W; take: number; orderBy: object[] }) => Promise<T[]>,
  count: (args: { where: W }) => Promise<number>,
  where: W,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Page<T>> {
  const take = pageSize(first, max);
  const rows = take === 0 ? [] : await find({ where: { AND: [where, olderThan(after)] } as W, take: take + 1, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  const edges = rows.slice(0, take).map((node) => ({ node, cursor: encodeLogCursor(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > take,
      hasPreviousPage: !!after,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => count({ where }),
  };
}

export function listEvents(deps: Deps, accountId: string, first?: number | null, after?: string | null, type?: string | null): Promise<Page<Event>> {
  const prisma = deps.db.prisma;
  return page(deps.config.maxPageSize, (a) => prisma.event.findMany(a), (a) => prisma.event.count(a), { accountId, ...(type ? { type } : {}) }, first, after);
}

export function listDeliveries(
  deps: Deps,
  accountId: string,
  webhookId: string,
  first?: number | null,
  after?: string | null,
  status?: DeliveryStatus | null,
): Promise<Page<Delivery>> {
  const where = { accountId, webhookId, ...(status ? { status } : {}) };
  const prisma = deps.db.prisma;
  return page(deps.config.maxPageSize, (a) => prisma.delivery.findMany(a), (a) => prisma.delivery.count(a), where, first, after);
}

export function listAttempts(
  deps: Deps,
  accountId: string,
  filter: { webhookId?: string; deliveryId?: string; status?: AttemptStatus | null },
  first?: number | null,
  after?: string | null,
): Promise<Page<DeliveryAttempt>> {
  const where = {
    accountId,
    ...(filter.webhookId ? { webhookId: filter.webhookId } : {}),
    ...(filter.deliveryId ? { deliveryId: filter.deliveryId } : {}),
    ...(filter.status ? { status: filter.status } : {}),
  };
  const prisma = deps.db.prisma;
  return page(deps.config.maxPageSize, (a) => prisma.deliveryAttempt.findMany(a), (a) => prisma.deliveryAttempt.count(a), where, first, after);
}
