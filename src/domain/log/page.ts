// Keyset pages of the delivery log, newest first. The arguments are checked
// here (also before execution, by src/server/connectionArgs.ts, so a nested
// page's bad cursor is one error, not one per parent); the stores read
// `take + 1` rows beyond a key and the extra row says whether more exist.
// Pure, unit-tested in test/unit/log-cursor.test.ts.
import { GraphQLError } from 'graphql';
import { cursorOf, decodeLogCursor, type LogKey, type LogKind } from './cursor.js';

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** totalCount counts exactly up to this many rows; beyond, it says this many and totalCountIsLowerBound. */
export const COUNT_CAP = 10_000;
export const DEFAULT_PAGE = 20;

const badInput = (field: string, message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field: [field] } });

/** Throws a BAD_USER_INPUT GraphQLError naming the argument unless `args` describe a page; `isCursor` judges after/before. */
export function checkPageArgs(args: PageArgs, maxPageSize: number, isCursor: (cursor: string) => boolean): void {
  for (const name of ['first', 'last'] as const) {
    const n = args[name];
    if (n != null && (!Number.isInteger(n) || n < 0 || n > maxPageSize))
      throw badInput(name, `${name} must be between 0 and ${maxPageSize}`);
  }
  if (args.first != null && args.last != null) throw badInput('last', 'Pass either first or last, not both');
  if (args.after != null && args.before != null) throw badInput('before', 'Pass either after or before, not both');
  if (args.before != null && args.first != null) throw badInput('first', 'Page backward from before with last, not first');
  if (args.after != null && args.last != null) throw badInput('last', 'Page forward from after with first, not last');
  for (const name of ['after', 'before'] as const) {
    const cursor = args[name];
    if (cursor != null && !isCursor(cursor)) throw badInput(name, `${name} is not a cursor from this list`);
  }
}

/** What a store reads for one page. */
export interface PagePlan {
  /** Scan oldest first from `before` (a backward page), then flip. */
  backward: boolean;
  take: number;
  /** Rows strictly older than this (forward) or newer than it (backward). */
  from: LogKey | null;
}

export function planPage(kind: LogKind, args: PageArgs, maxPageSize: number): PagePlan {
  checkPageArgs(args, maxPageSize, () => true);
  const backward = args.last != null || args.before != null;
  const take = (backward ? args.last : args.first) ?? DEFAULT_PAGE;
  const cursor = backward ? args.before : args.after;
  return { backward, take, from: cursor != null ? decodeLogCursor(cursor, kind, backward ? 'before' : 'after') : null };
}

export interface LogEdge<T> {
  cursor: string;
  node: T;
}

export interface LogPage<T> {
  edges: LogEdge<T>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** The page from a store's `take + 1` rows in scan order. */
export function shapePage<T extends { createdAt: Date; id: string }>(kind: LogKind, plan: PagePlan, rows: T[]): LogPage<T> {
  const more = rows.length > plan.take;
  const page = rows.slice(0, plan.take);
  if (plan.backward) page.reverse();
  const edges = page.map((node) => ({ node, cursor: cursorOf(kind, node) }));
  return {
    edges,
    pageInfo: {
      // Newest first: "next" is older. A cursor page has rows on its cursor's side (that row, at least, unless it was deleted since).
      hasNextPage: plan.backward ? plan.from !== null : more,
      hasPreviousPage: plan.backward ? more : plan.from !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A bounded count: exact up to COUNT_CAP. */
export interface BoundedCount {
  count: number;
  /** More rows match than `count` says. */
  capped: boolean;
}

/** From a store's count of at most COUNT_CAP + 1 rows. */
export const boundedCount = (n: number): BoundedCount => (n > COUNT_CAP ? { count: COUNT_CAP, capped: true } : { count: n, capped: false });
