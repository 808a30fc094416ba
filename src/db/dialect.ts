// The one place that knows how SQLite and PostgreSQL differ. Stores write
// SQL with "?" placeholders and ask the dialect for the few fragments that
// differ; the drivers translate placeholders and bind values.
import type { Provider } from '../base/config.js';

export interface Dialect {
  readonly provider: Provider;
  /** `col` is one of the values in one bound list parameter (a fixed statement text whatever the list length). */
  inList(col: string): string;
  /** An id made by the database for INSERT … SELECT rows, in newId()'s form (a function each connection has; see sqlite.ts and the PostgreSQL migrations). */
  readonly newIdSql: string;
  /**
   * The `nth` (a 1-based SQL integer expression) of a bound list of ids made
   * by the caller, or a database-made id (newIdSql) past the list's end.
   */
  idFromList(nth: string): string;
  /** Row locks that other instances skip rather than wait for (PostgreSQL); nothing on SQLite's single writer. */
  readonly skipLocked: string;
  /** A row lock held to the end of the transaction (PostgreSQL); nothing on SQLite, whose write transactions already run one at a time. */
  readonly forUpdate: string;
  /** A bound value typed where the database cannot infer it (VALUES lists, CASE arms). */
  cast(placeholder: string, type: 'int' | 'text' | 'timestamp' | 'bool' | EnumType): string;
  /**
   * A tenant-scope column in a lookup by an id list (`scope(accountId) = ? AND
   * id IN list`): still checked, but never the index that drives the plan.
   * Without statistics SQLite's planner otherwise walks the (accountId, …)
   * index over every row of the account and filters by the list (measured:
   * 50 webhooks' event types in a 1,000-webhook account, 618 → 112 µs).
   * PostgreSQL plans from statistics and needs no hint.
   */
  scope(col: string): string;
  /** The integer a bound JSON object (`{"key": n}`) holds under the value of `keyCol`, or NULL. */
  intInJsonObject(keyCol: string): string;
  /**
   * `col` (a JSON array of strings, not null) shares at least one element
   * with a bound list (a JSON array on SQLite, a text[] on PostgreSQL; an
   * empty list shares nothing). Channels routing (src/db/stores/events.ts).
   */
  jsonArrayOverlaps(col: string): string;
  /** Case-insensitive substring match of a bound, already lower-cased needle. */
  containsLower(col: string): string;
  /** Reads a timestamp column. */
  date(value: unknown): Date;
  dateOrNull(value: unknown): Date | null;
  bool(value: unknown): boolean;
  /** Reads a JSON column (text on SQLite, jsonb on PostgreSQL). */
  json<T>(value: unknown): T;
}

export type EnumType =
  'WebhookState' | 'DeliveryStatus' | 'AttemptStatus' | 'AttemptTrigger' | 'Role' | 'BulkOperationKind' | 'BulkOperationStatus';

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const s = String(value);
  // Text timestamps (database defaults) without a zone are UTC.
  return new Date(/^\d+$/.test(s) ? Number(s) : /[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}

const common = {
  date: toDate,
  dateOrNull: (v: unknown) => (v === null || v === undefined ? null : toDate(v)),
  json<T>(value: unknown): T {
    return (typeof value === 'string' ? JSON.parse(value) : value) as T;
  },
};

export const sqliteDialect: Dialect = {
  ...common,
  provider: 'sqlite',
  inList: (col) => `${col} IN (SELECT value FROM json_each(?))`,
  newIdSql: 'hookline_id()',
  idFromList: (nth) => `COALESCE(json_extract(?, '$[' || (${nth} - 1) || ']'), hookline_id())`,
  skipLocked: '',
  forUpdate: '',
  cast: (p) => p,
  scope: (col) => `+${col}`,
  intInJsonObject: (keyCol) => `json_extract(?, '$."' || ${keyCol} || '"')`,
  jsonArrayOverlaps: (col) => `EXISTS (SELECT 1 FROM json_each(${col}) c WHERE c.value IN (SELECT value FROM json_each(?)))`,
  containsLower: (col) => `instr(lower(${col}), ?) > 0`,
  bool: (v) => v === 1 || v === true || v === 1n,
};

export const postgresDialect: Dialect = {
  ...common,
  provider: 'postgresql',
  inList: (col) => `${col} = ANY(?)`,
  newIdSql: 'hookline_id()',
  idFromList: (nth) => `COALESCE((?::text[])[${nth}], hookline_id())`,
  skipLocked: 'FOR UPDATE SKIP LOCKED',
  forUpdate: 'FOR UPDATE',
  cast: (p, type) =>
    `${p}::${type === 'timestamp' ? 'timestamp(3)' : type === 'bool' ? 'boolean' : type === 'int' || type === 'text' ? type : `"${type}"`}`,
  scope: (col) => col,
  intInJsonObject: (keyCol) => `(?::jsonb ->> ${keyCol})::int`,
  // Not the ?| operator: "?" is the placeholder here.
  jsonArrayOverlaps: (col) => `jsonb_exists_any(${col}, ?::text[])`,
  containsLower: (col) => `strpos(lower(${col}), ?) > 0`,
  bool: (v) => v === true,
};

export function dialectFor(provider: Provider): Dialect {
  return provider === 'sqlite' ? sqliteDialect : postgresDialect;
}

/**
 * A statement text built once per dialect. Statement caches are keyed by
 * text, so hot paths reuse one string instead of rebuilding (and rehashing)
 * it on every call.
 */
export function perDialect(build: (d: Dialect) => string): (d: Dialect) => string {
  let sqlite: string | null = null;
  let postgres: string | null = null;
  return (d) => (d.provider === 'sqlite' ? (sqlite ??= build(d)) : (postgres ??= build(d)));
}
