// The webhook list in every sort order of the admin console, keyset- or
// offset-paginated. Hand-written SQL, not Prisma: this page is the API's
// hottest read, and the same rows through Prisma's findMany + count cost
// several times the CPU of these two cached statements (see BENCHMARKS.md).
import type { WebhookState } from '../../generated/prisma/client.js';
import type { Sql } from '../sql.js';
import { webhookFromRow, type Webhook } from './webhooks.js';
import { ALL_EVENTS } from './events.js';

export type WebhookSortField = 'NAME' | 'TARGET_URL' | 'OWNER' | 'REGISTERED' | 'STATE';

export interface WebhookListFilter {
  accountId: string;
  state?: WebhookState | null;
  event?: string | null;
  /** Lower-cased; matched literally (no wildcards) against the name and the target URL. */
  search?: string | null;
}

/** A row position in a sort order: its sort value and id. */
export interface SortKey {
  value: string | number;
  id: string;
}

export interface WebhookListQuery extends WebhookListFilter {
  field: WebhookSortField;
  /** Scan direction. */
  dir: 'asc' | 'desc';
  /** Only rows strictly beyond this key in the scan direction. */
  beyond?: SortKey | null;
  /** Only rows strictly before this key in the scan direction. */
  short?: SortKey | null;
  limit: number;
  offset?: number;
}

const SORT_EXPR: Record<WebhookSortField, string> = {
  NAME: 'w."nameKey"',
  TARGET_URL: 'w."targetUrl"',
  OWNER: 'o."name"',
  REGISTERED: 'w."registeredAt"',
  STATE: 'w."state"',
};

function where(sql: Sql, f: WebhookListFilter, values: unknown[]): string {
  const d = sql.dialect;
  const parts = ['w."accountId" = ?'];
  values.push(f.accountId);
  if (f.state) {
    parts.push('w."state" = ?');
    values.push(f.state);
  }
  if (f.event) {
    parts.push(`EXISTS (SELECT 1 FROM "WebhookEvent" we WHERE we."webhookId" = w."id" AND we."eventType" IN (?, ?))`);
    values.push(f.event, ALL_EVENTS);
  }
  if (f.search) {
    parts.push(`(${d.containsLower('w."nameKey"')} OR ${d.containsLower('w."targetUrl"')})`);
    values.push(f.search, f.search);
  }
  return parts.join(' AND ');
}

const sortValue = (field: WebhookSortField, key: SortKey) => (field === 'REGISTERED' ? new Date(key.value as number) : key.value);

function keyset(field: WebhookSortField, op: '>' | '<', key: SortKey, values: unknown[]): string {
  const expr = SORT_EXPR[field];
  const v = sortValue(field, key);
  values.push(v, v, key.id);
  return `(${expr} ${op} ? OR (${expr} = ? AND w."id" ${op} ?))`;
}

export interface ListedWebhook extends Webhook {
  ownerName: string;
}

export async function listWebhookRows(sql: Sql, q: WebhookListQuery): Promise<ListedWebhook[]> {
  const values: unknown[] = [];
  const conditions = [where(sql, q, values)];
  const forward = q.dir === 'asc' ? '>' : '<';
  const back = q.dir === 'asc' ? '<' : '>';
  if (q.beyond) conditions.push(keyset(q.field, forward, q.beyond, values));
  if (q.short) conditions.push(keyset(q.field, back, q.short, values));
  const dir = q.dir === 'asc' ? 'ASC' : 'DESC';
  values.push(q.limit, q.offset ?? 0);
  const rows = await sql.all(
    `SELECT w.*, o."name" AS "ownerName" FROM "Webhook" w JOIN "Associate" o ON o."id" = w."ownerId"
     WHERE ${conditions.join(' AND ')}
     ORDER BY ${SORT_EXPR[q.field]} ${dir}, w."id" ${dir}
     LIMIT ${sql.dialect.cast('?', 'int')} OFFSET ${sql.dialect.cast('?', 'int')}`,
    values,
  );
  return rows.map((r) => ({ ...webhookFromRow(sql.dialect, r), ownerName: r.ownerName as string }));
}

export async function countWebhooks(sql: Sql, f: WebhookListFilter): Promise<number> {
  const values: unknown[] = [];
  const row = await sql.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "Webhook" w WHERE ${where(sql, f, values)}`, values);
  return Number(row?.n ?? 0);
}
