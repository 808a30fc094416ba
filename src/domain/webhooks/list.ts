// Keyset pagination over an account's webhooks, in any of the admin console's
// sort orders. Cursors carry the sort value and id of a row, so pages stay
// correct while webhooks are added or removed. The SQL is in
// db/stores/webhookList.ts.
import { GraphQLError } from 'graphql';
import type { WebhookState } from '../../generated/prisma/client.js';
import { countWebhooks, listWebhookRows, type ListedWebhook, type WebhookListFilter } from '../../db/stores/webhookList.js';
import type { Webhook } from '../../db/stores/webhooks.js';
import type { Deps } from '../deps.js';
import { decodeWebhookCursor as decode, encodeWebhookCursor as encode, type WebhookCursor as Cursor } from './cursor.js';

export type WebhookOrderField = 'NAME' | 'TARGET_URL' | 'OWNER' | 'REGISTERED' | 'STATE';
export type Direction = 'ASC' | 'DESC';

export interface WebhookFilter {
  state?: WebhookState | null;
  event?: string | null;
  search?: string | null;
}

export interface WebhookOrder {
  field: WebhookOrderField;
  direction: Direction;
}

export const DEFAULT_ORDER: WebhookOrder = { field: 'REGISTERED', direction: 'DESC' };

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface WebhookEdge {
  cursor: string;
  node: Webhook;
}

export interface WebhookConnectionResult {
  edges: WebhookEdge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
}

const badInput = (field: string, message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field: [field] } });

function sortValue(row: ListedWebhook, field: WebhookOrderField): string | number {
  switch (field) {
    case 'NAME':
      return row.nameKey;
    case 'TARGET_URL':
      return row.targetUrl;
    case 'OWNER':
      return row.ownerName;
    case 'REGISTERED':
      return row.registeredAt.getTime();
    case 'STATE':
      return row.state;
  }
}

function checkCount(name: 'first' | 'last', n: number | null | undefined, max: number): number | null {
  if (n === null || n === undefined) return null;
  if (!Number.isInteger(n) || n < 0 || n > max) throw badInput(name, `${name} must be between 0 and ${max}`);
  return n;
}

function listFilter(accountId: string, filter: WebhookFilter | null | undefined): WebhookListFilter {
  const search = filter?.search?.trim().toLowerCase();
  return { accountId, state: filter?.state ?? null, event: filter?.event ?? null, search: search || null };
}

const key = (c: Cursor | null) => (c ? { value: c.v, id: c.i } : null);

export async function listWebhookConnection(
  deps: Deps,
  accountId: string,
  args: PageArgs,
  filter: WebhookFilter | null | undefined,
  order: WebhookOrder | null | undefined,
): Promise<WebhookConnectionResult> {
  const { field, direction } = order ?? DEFAULT_ORDER;
  const max = deps.config.maxPageSize;
  const first = checkCount('first', args.first, max);
  const last = checkCount('last', args.last, max);
  if (first !== null && last !== null) throw badInput('last', 'Pass either first or last, not both');
  const backward = last !== null || (first === null && args.before != null);
  const take = (backward ? last : first) ?? 20;
  const baseDir = direction === 'ASC' ? 'asc' : 'desc';
  // An empty string is no cursor from this list either (as for the delivery log's pages).
  const after = args.after != null ? decode(args.after, field, 'after') : null;
  const before = args.before != null ? decode(args.before, field, 'before') : null;
  const f = listFilter(accountId, filter);
  // Backward pages scan the reverse order from `before`, then flip.
  const rows =
    take === 0
      ? []
      : await listWebhookRows(deps.sql, {
          ...f,
          field,
          dir: backward ? (baseDir === 'asc' ? 'desc' : 'asc') : baseDir,
          beyond: key(backward ? before : after),
          short: key(backward ? after : before),
          limit: take + 1,
        });
  const more = rows.length > take;
  const page = rows.slice(0, take);
  if (backward) page.reverse();
  const edges = page.map((node) => ({ node, cursor: encode({ f: field, v: sortValue(node, field), i: node.id }) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? before !== null : more,
      hasPreviousPage: backward ? more : after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => countWebhooks(deps.sql, f),
  };
}

export interface WebhookPageResult {
  items: Webhook[];
  page: number;
  limit: number;
  totalCount: number;
}

/** WhautoChat-style `limit`/`page` listing (1-based pages). */
export async function listWebhookPage(
  deps: Deps,
  accountId: string,
  limit: number | null | undefined,
  page: number | null | undefined,
  filter: WebhookFilter | null | undefined,
  order: WebhookOrder | null | undefined,
): Promise<WebhookPageResult> {
  const max = deps.config.maxPageSize;
  const l = limit ?? 20;
  const p = page ?? 1;
  if (!Number.isInteger(l) || l < 1 || l > max) throw badInput('limit', `limit must be between 1 and ${max}`);
  if (!Number.isInteger(p) || p < 1) throw badInput('page', 'page must be 1 or more');
  const { field, direction } = order ?? DEFAULT_ORDER;
  const f = listFilter(accountId, filter);
  const [items, totalCount] = await Promise.all([
    listWebhookRows(deps.sql, { ...f, field, dir: direction === 'ASC' ? 'asc' : 'desc', limit: l, offset: (p - 1) * l }),
    countWebhooks(deps.sql, f),
  ]);
  return { items, page: p, limit: l, totalCount };
}
