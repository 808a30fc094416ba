// The delivery log's reads: attempts and deliveries by any filter, newest
// first by (createdAt, id), keyset-paginated, account-wide or for a batch of
// parents (webhooks, deliveries, events) in one statement; bounded counts;
// and the rows object links point at. The filters arrive checked
// (src/domain/log/filter.ts); a bulk operation can select the same rows with
// attemptConditions/deliveryConditions.
//
// Indexes (prisma/schema.prisma): (accountId, createdAt, id) and
// (accountId, status, createdAt, id) for account-wide pages; (webhookId,
// createdAt, id) and (deliveryId, createdAt, id) per parent; Delivery's
// eventId index for an event's deliveries. A filter that no index serves
// (event type, HTTP status, search) is checked on rows as the page's index
// range is walked, newest first, until the page is full.
import type { Delivery, Event } from '../../generated/prisma/client.js';
import { perDialect, type Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';
import { attemptFromRow, type AttemptRecord } from './attempts.js';
import { deliveryFromRow } from './deliveries.js';
import { eventFromRow } from './events.js';

/** A position in the log: createdAt in ms, then id. */
export interface LogPosition {
  at: number;
  id: string;
}

/** Conditions on deliveries (null: any). Time range: from <= createdAt < to. */
export interface DeliveryConditions {
  webhookIds: readonly string[] | null;
  eventTypes: readonly string[] | null;
  eventId: string | null;
  statuses: readonly string[] | null;
  from: Date | null;
  to: Date | null;
}

/** Conditions on attempts (null: any); search is lower-cased and looks at the first searchPrefix characters of the response body. */
export interface AttemptConditions {
  webhookIds: readonly string[] | null;
  eventTypes: readonly string[] | null;
  eventId: string | null;
  statuses: readonly string[] | null;
  triggers: readonly string[] | null;
  httpStatusFrom: number | null;
  httpStatusTo: number | null;
  errorClasses: readonly string[] | null;
  from: Date | null;
  to: Date | null;
  search: string | null;
}

export const SEARCH_PREFIX = 1024;

/**
 * `col` is one of `values`: a plain equality for one value, so the planner
 * can walk an index that starts with the column (a webhook's attempts, one
 * status) in the page's order; a bound list otherwise.
 */
function oneOf(d: Dialect, col: string, values: readonly string[]): [string, unknown] {
  return values.length === 1 ? [`${col} = ?`, values[0]] : [d.inList(col), values];
}

/** SQL conditions (joined with AND) on attempts aliased `a`, appending their values. */
export function attemptConditions(d: Dialect, accountId: string, f: AttemptConditions, values: unknown[], a = 'a'): string {
  const parts = [`${a}."accountId" = ?`];
  values.push(accountId);
  const add = (sql: string, ...v: unknown[]) => {
    parts.push(sql);
    values.push(...v);
  };
  if (f.webhookIds) add(d.inList(`${a}."webhookId"`), f.webhookIds);
  if (f.eventId)
    add(`${a}."deliveryId" IN (SELECT d."id" FROM "Delivery" d WHERE d."eventId" = ? AND d."accountId" = ?)`, f.eventId, accountId);
  if (f.eventTypes) {
    add(
      `EXISTS (SELECT 1 FROM "Delivery" d JOIN "Event" e ON e."id" = d."eventId" WHERE d."id" = ${a}."deliveryId" AND ${d.inList('e."type"')})`,
      f.eventTypes,
    );
  }
  // errorClasses imply FAILED (only failures have a class), which lets the (accountId, status, …) index serve them.
  const statuses = f.errorClasses ? (f.statuses ?? ['FAILED']).filter((s) => s === 'FAILED') : f.statuses;
  if (statuses) add(...oneOf(d, `${a}."status"`, statuses));
  if (f.triggers) add(...oneOf(d, `${a}."trigger"`, f.triggers));
  if (f.httpStatusFrom !== null) add(`${a}."responseStatus" >= ?`, f.httpStatusFrom);
  if (f.httpStatusTo !== null) add(`${a}."responseStatus" <= ?`, f.httpStatusTo);
  if (f.errorClasses) add(d.inList(`${a}."errorClass"`), f.errorClasses);
  if (f.from) add(`${a}."createdAt" >= ?`, f.from);
  if (f.to) add(`${a}."createdAt" < ?`, f.to);
  if (f.search) add(d.containsLower(`substr(${a}."responseBody", 1, ${SEARCH_PREFIX})`), f.search);
  return parts.join(' AND ');
}

/** SQL conditions (joined with AND) on deliveries aliased `d`, appending their values. */
export function deliveryConditions(dialect: Dialect, accountId: string, f: DeliveryConditions, values: unknown[], d = 'd'): string {
  const parts = [`${d}."accountId" = ?`];
  values.push(accountId);
  const add = (sql: string, ...v: unknown[]) => {
    parts.push(sql);
    values.push(...v);
  };
  if (f.webhookIds) add(...oneOf(dialect, `${d}."webhookId"`, f.webhookIds));
  if (f.eventId) add(`${d}."eventId" = ?`, f.eventId);
  if (f.eventTypes) add(`EXISTS (SELECT 1 FROM "Event" e WHERE e."id" = ${d}."eventId" AND ${dialect.inList('e."type"')})`, f.eventTypes);
  if (f.statuses) add(...oneOf(dialect, `${d}."status"`, f.statuses));
  if (f.from) add(`${d}."createdAt" >= ?`, f.from);
  if (f.to) add(`${d}."createdAt" < ?`, f.to);
  return parts.join(' AND ');
}

/** Which rows of a page: its direction and the key it starts beyond. */
export interface PageWindow {
  /** Oldest first (a backward page) instead of newest first. */
  ascending: boolean;
  /** Only rows strictly beyond this position in the scan direction. */
  beyond: LogPosition | null;
  limit: number;
}

/** The parent a batched page is per: a column and the parents' ids. */
export interface Parents {
  column: 'webhookId' | 'deliveryId' | 'eventId';
  ids: readonly string[];
}

type Table = 'DeliveryAttempt' | 'Delivery';

/**
 * One page of rows matching `where`, or one page per parent. A single parent
 * (or none) is a plain range scan. Several parents are read in one
 * statement, each parent's page on its own index range: a LATERAL join on
 * PostgreSQL; on SQLite, rowids chosen by a correlated subquery per parent
 * (SQLite has no LATERAL).
 */
async function pageRows(sql: Sql, table: Table, alias: string, where: string, values: unknown[], w: PageWindow, parents: Parents | null) {
  const d = sql.dialect;
  const dir = w.ascending ? 'ASC' : 'DESC';
  const conditions = [where];
  const keyset = (a: string) => {
    if (!w.beyond) return '';
    values.push(new Date(w.beyond.at), w.beyond.id);
    return ` AND (${a}."createdAt", ${a}."id") ${w.ascending ? '>' : '<'} (${d.cast('?', 'timestamp')}, ?)`;
  };
  const order = (a: string) => `ORDER BY ${a}."createdAt" ${dir}, ${a}."id" ${dir}`;
  if (!parents || parents.ids.length === 1) {
    if (parents) {
      conditions.push(`${alias}."${parents.column}" = ?`);
      values.push(parents.ids[0]);
    }
    const text = `SELECT * FROM "${table}" ${alias} WHERE ${conditions.join(' AND ')}${keyset(alias)} ${order(alias)} LIMIT ${d.cast('?', 'int')}`;
    return sql.all(text, [...values, w.limit]);
  }
  const inner = `${conditions.join(' AND ')} AND ${alias}."${parents.column}" = p.id${keyset(alias)} ${order(alias)} LIMIT ${d.cast('?', 'int')}`;
  if (d.provider === 'postgresql') {
    return sql.all(`SELECT x.* FROM unnest(?::text[]) AS p(id) CROSS JOIN LATERAL (SELECT * FROM "${table}" ${alias} WHERE ${inner}) x`, [
      parents.ids,
      ...values,
      w.limit,
    ]);
  }
  return sql.all(
    `SELECT x.* FROM (SELECT value AS id FROM json_each(?)) p CROSS JOIN "${table}" x
     WHERE x.rowid IN (SELECT ${alias}.rowid FROM "${table}" ${alias} WHERE ${inner})`,
    [JSON.stringify(parents.ids), ...values, w.limit],
  );
}

/** How many rows match, up to `cap + 1` (so a caller can tell "more than cap"); per parent with `parents`. */
async function countRows(sql: Sql, table: Table, alias: string, where: string, values: unknown[], cap: number, parents: Parents | null) {
  const d = sql.dialect;
  const limit = `LIMIT ${d.cast('?', 'int')}`;
  if (!parents || parents.ids.length === 1) {
    const conditions = [where];
    if (parents) {
      conditions.push(`${alias}."${parents.column}" = ?`);
      values.push(parents.ids[0]);
    }
    const row = await sql.get<{ n: number }>(
      `SELECT COUNT(*) AS "n" FROM (SELECT 1 FROM "${table}" ${alias} WHERE ${conditions.join(' AND ')} ${limit}) c`,
      [...values, cap + 1],
    );
    return new Map([[parents?.ids[0] ?? '', Number(row?.n ?? 0)]]);
  }
  const list = d.provider === 'postgresql' ? 'unnest(?::text[]) AS p(id)' : '(SELECT value AS id FROM json_each(?)) p';
  const rows = await sql.all<{ id: string; n: number }>(
    `SELECT p.id AS "id", (SELECT COUNT(*) FROM (SELECT 1 FROM "${table}" ${alias}
       WHERE ${where} AND ${alias}."${parents.column}" = p.id ${limit}) c) AS "n" FROM ${list}`,
    [...values, cap + 1, d.provider === 'postgresql' ? parents.ids : JSON.stringify(parents.ids)],
  );
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

export interface AttemptPageQuery extends PageWindow {
  accountId: string;
  filter: AttemptConditions;
}

export interface DeliveryPageQuery extends PageWindow {
  accountId: string;
  filter: DeliveryConditions;
}

/** A page of attempts in scan order (per parent: look rows up by their parent column). */
export async function attemptPage(sql: Sql, q: AttemptPageQuery, parents: Parents | null = null): Promise<AttemptRecord[]> {
  const values: unknown[] = [];
  const where = attemptConditions(sql.dialect, q.accountId, q.filter, values);
  return (await pageRows(sql, 'DeliveryAttempt', 'a', where, values, q, parents)).map((r) => attemptFromRow(sql.dialect, r));
}

export async function deliveryPage(sql: Sql, q: DeliveryPageQuery, parents: Parents | null = null): Promise<Delivery[]> {
  const values: unknown[] = [];
  const where = deliveryConditions(sql.dialect, q.accountId, q.filter, values);
  return (await pageRows(sql, 'Delivery', 'd', where, values, q, parents)).map((r) => deliveryFromRow(sql.dialect, r));
}

/** Attempts matching, counted up to cap + 1; keyed by parent id ('' without parents). */
export function countAttempts(sql: Sql, accountId: string, f: AttemptConditions, cap: number, parents: Parents | null = null) {
  const values: unknown[] = [];
  return countRows(sql, 'DeliveryAttempt', 'a', attemptConditions(sql.dialect, accountId, f, values), values, cap, parents);
}

export function countDeliveries(sql: Sql, accountId: string, f: DeliveryConditions, cap: number, parents: Parents | null = null) {
  const values: unknown[] = [];
  return countRows(sql, 'Delivery', 'd', deliveryConditions(sql.dialect, accountId, f, values), values, cap, parents);
}

const DELIVERIES_BY_IDS = perDialect((d) => `SELECT * FROM "Delivery" WHERE ${d.scope('"accountId"')} = ? AND ${d.inList('"id"')}`);
const EVENTS_BY_IDS = perDialect((d) => `SELECT * FROM "Event" WHERE ${d.scope('"accountId"')} = ? AND ${d.inList('"id"')}`);

/** Deliveries by id within one account (object links: DeliveryAttempt.delivery). */
export async function deliveriesByIds(sql: Sql, accountId: string, ids: readonly string[]): Promise<Delivery[]> {
  const rows = await sql.all(DELIVERIES_BY_IDS(sql.dialect), [accountId, ids]);
  return rows.map((r: Row) => deliveryFromRow(sql.dialect, r));
}

/** Events by id within one account (object links: Delivery.event, DeliveryAttempt.event). */
export async function eventsByIdsIn(sql: Sql, accountId: string, ids: readonly string[]): Promise<Event[]> {
  const rows = await sql.all(EVENTS_BY_IDS(sql.dialect), [accountId, ids]);
  return rows.map((r: Row) => eventFromRow(sql.dialect, r));
}
