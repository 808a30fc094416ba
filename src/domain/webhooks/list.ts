// Keyset pagination over an account's webhooks, in any of the admin console's
// sort orders. Cursors carry the sort value and id of a row, so pages stay
// correct while webhooks are added or removed.
import { GraphQLError } from 'graphql';
import type { Prisma, Webhook, WebhookState } from '../../generated/prisma/client.js';
import { ALL_EVENTS } from '../../db/stores/events.js';
import type { Deps } from '../deps.js';
import { decodeWebhookCursor, encodeWebhookCursor, STATE_ORDER, type WebhookCursor } from './cursor.js';

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

const badInput = (field: string, message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field: [field] } });

/** SQL LIKE wildcards (and the usual escape character), which Prisma's `contains` does not escape. */
const LIKE_SPECIAL = /[%_\\]/;

/**
 * Ids of the account's webhooks whose name or URL contains `search` literally,
 * ignoring case. Used only when the search holds a LIKE wildcard, which
 * Prisma's `contains` would pass through unescaped (so "%" matched every
 * webhook). `x <> replace(x, s, '')` is a literal substring test in both
 * SQLite and PostgreSQL.
 */
async function literalSearchIds(deps: Deps, accountId: string, search: string): Promise<string[]> {
  const s = search.toLowerCase();
  const d = deps.sql.dialect;
  const rows = await deps.sql.all<{ id: string }>(
    `SELECT "id" FROM "Webhook" WHERE "accountId" = ? AND (${d.containsLower('"nameKey"')} OR ${d.containsLower('"targetUrl"')})`,
    [accountId, s, s],
  );
  return rows.map((r) => r.id);
}

export async function whereFor(deps: Deps, accountId: string, filter: WebhookFilter | null | undefined): Promise<Prisma.WebhookWhereInput> {
  const where: Prisma.WebhookWhereInput = { accountId };
  if (filter?.state) where.state = filter.state;
  if (filter?.event) where.events = { some: { eventType: { in: [filter.event, ALL_EVENTS] } } };
  const search = filter?.search?.trim();
  if (search && LIKE_SPECIAL.test(search)) {
    where.id = { in: await literalSearchIds(deps, accountId, search) };
  } else if (search) {
    const urlMatch = deps.config.provider === 'postgresql' ? { contains: search, mode: 'insensitive' as const } : { contains: search };
    where.OR = [{ nameKey: { contains: search.toLowerCase() } }, { targetUrl: urlMatch }];
  }
  return where;
}

type Row = Webhook & { owner?: { name: string } };

function sortValue(row: Row, field: WebhookOrderField): string | number {
  switch (field) {
    case 'NAME':
      return row.nameKey;
    case 'TARGET_URL':
      return row.targetUrl;
    case 'OWNER':
      return row.owner!.name;
    case 'REGISTERED':
      return row.registeredAt.getTime();
    case 'STATE':
      return row.state;
  }
}

function orderBy(field: WebhookOrderField, dir: 'asc' | 'desc'): Prisma.WebhookOrderByWithRelationInput[] {
  const first: Prisma.WebhookOrderByWithRelationInput =
    field === 'NAME'
      ? { nameKey: dir }
      : field === 'TARGET_URL'
        ? { targetUrl: dir }
        : field === 'OWNER'
          ? { owner: { name: dir } }
          : field === 'REGISTERED'
            ? { registeredAt: dir }
            : { state: dir };
  return [first, { id: dir }];
}

/** Rows strictly after the cursor in the given direction. */
function afterCursor(c: WebhookCursor, dir: 'asc' | 'desc'): Prisma.WebhookWhereInput {
  const cmp = dir === 'asc' ? 'gt' : 'lt';
  const v = c.f === 'REGISTERED' ? new Date(c.v as number) : c.v;
  const beyond = (op: 'gt' | 'lt' | 'equals'): Prisma.WebhookWhereInput => {
    const filter = { [op]: v };
    switch (c.f) {
      case 'NAME':
        return { nameKey: filter };
      case 'TARGET_URL':
        return { targetUrl: filter };
      case 'OWNER':
        return { owner: { name: filter } };
      case 'REGISTERED':
        return { registeredAt: filter };
      case 'STATE': {
        // Enum filters have no gt/lt: compare by position in STATE_ORDER,
        // which is both the text order (SQLite) and the enum order (PostgreSQL).
        const at = STATE_ORDER.indexOf(v as WebhookState);
        const states = op === 'equals' ? [v as WebhookState] : STATE_ORDER.filter((_s, i) => (op === 'gt' ? i > at : i < at));
        return { state: { in: states } };
      }
    }
  };
  return { OR: [beyond(cmp), { AND: [beyond('equals'), { id: { [cmp]: c.i } }] }] };
}

function checkCount(name: 'first' | 'last', n: number | null | undefined, max: number): number | null {
  if (n === null || n === undefined) return null;
  if (!Number.isInteger(n) || n < 0 || n > max) throw badInput(name, `${name} must be between 0 and ${max}`);
  return n;
}

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
  const backward = last !== null || (first === null && !!args.before);
  const take = (backward ? last : first) ?? 20;
  const baseDir = direction === 'ASC' ? 'asc' : 'desc';
  const flip = (d: 'asc' | 'desc') => (d === 'asc' ? 'desc' : 'asc');
  const dir = backward ? flip(baseDir) : baseDir;
  const base = await whereFor(deps, accountId, filter);
  const prisma = deps.db.prisma;
  const and: Prisma.WebhookWhereInput[] = [base];
  if (args.after) and.push(afterCursor(decodeWebhookCursor(args.after, field, 'after'), baseDir));
  if (args.before) and.push(afterCursor(decodeWebhookCursor(args.before, field, 'before'), flip(baseDir)));
  const rows: Row[] =
    take === 0
      ? []
      : await prisma.webhook.findMany({
          where: { AND: and },
          orderBy: orderBy(field, dir),
          take: take + 1,
          ...(field === 'OWNER' ? { include: { owner: { select: { name: true } } } } : {}),
        });
  const more = rows.length > take;
  const page = rows.slice(0, take);
  if (backward) page.reverse();
  const edges = page.map((node) => ({ node, cursor: encodeWebhookCursor({ f: field, v: sortValue(node, field), i: node.id }) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? !!args.before : more,
      hasPreviousPage: backward ? more : !!args.after,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => prisma.webhook.count({ where: base }),
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
  const prisma = deps.db.prisma;
  const l = limit ?? 20;
  const p = page ?? 1;
  if (!Number.isInteger(l) || l < 1 || l > max) throw badInput('limit', `limit must be between 1 and ${max}`);
  if (!Number.isInteger(p) || p < 1) throw badInput('page', 'page must be 1 or more');
  const { field, direction } = order ?? DEFAULT_ORDER;
  const where = await whereFor(deps, accountId, filter);
  const [items, totalCount] = await Promise.all([
    prisma.webhook.findMany({ where, orderBy: orderBy(field, direction === 'ASC' ? 'asc' : 'desc'), skip: (p - 1) * l, take: l }),
    prisma.webhook.count({ where }),
  ]);
  return { items, page: p, limit: l, totalCount };
}
