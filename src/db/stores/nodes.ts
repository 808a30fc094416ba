// Objects by id whatever their type, for Relay's node(id:) and nodes(ids:).
// Every id Hookline makes is unique across all tables (newId: time plus 95
// random bits), so an id alone names one row; these find which table holds
// each, then read the rows of each table found. Scoped to one account like
// every finder.
import type { Dialect } from '../dialect.js';
import { perDialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';
import { accountFromRow, apiKeyFromRow, associateFromRow } from './accounts.js';
import { attemptFromRow } from './attempts.js';
import { bulkFromRow } from './bulkOperations.js';
import { consoleLinkFromRow } from './consoleLinks.js';
import { deliveryFromRow } from './deliveries.js';
import { eventFromRow } from './events.js';
import { eventTypeFromRow } from './eventTypes.js';
import { webhookFromRow } from './webhooks.js';

/** The tables whose rows are GraphQL objects (each table's name is its type's name). */
const READERS = {
  Account: accountFromRow,
  Associate: associateFromRow,
  ApiKey: apiKeyFromRow,
  ConsoleLink: consoleLinkFromRow,
  EventType: eventTypeFromRow,
  Webhook: webhookFromRow,
  Event: eventFromRow,
  Delivery: deliveryFromRow,
  DeliveryAttempt: attemptFromRow,
  BulkOperation: bulkFromRow,
} satisfies Record<string, (d: Dialect, r: Row) => { id: string }>;

export type NodeTable = keyof typeof READERS;
export type NodeRow<T extends NodeTable> = ReturnType<(typeof READERS)[T]>;
export const NODE_TABLES = Object.keys(READERS) as NodeTable[];

/** The account itself is in scope when its own id is asked for. */
const scopeColumn = (table: NodeTable) => (table === 'Account' ? '"id"' : '"accountId"');

// One statement: each table's primary key answers its branch.
const WHICH = perDialect((d) =>
  NODE_TABLES.map((t) => `SELECT '${t}' AS "type", "id" FROM "${t}" WHERE ${d.scope(scopeColumn(t))} = ? AND ${d.inList('"id"')}`).join(
    '\nUNION ALL\n',
  ),
);

/** Which table holds each of `ids` within the account; ids found nowhere are left out. */
export async function nodeTables(sql: Sql, accountId: string, ids: readonly string[]): Promise<Map<string, NodeTable>> {
  const rows = await sql.all<{ type: NodeTable; id: string }>(
    WHICH(sql.dialect),
    NODE_TABLES.flatMap(() => [accountId, ids]),
  );
  return new Map(rows.map((r) => [r.id, r.type]));
}

const ROWS = Object.fromEntries(
  NODE_TABLES.map((t) => [t, perDialect((d) => `SELECT * FROM "${t}" WHERE ${d.scope(scopeColumn(t))} = ? AND ${d.inList('"id"')}`)]),
) as Record<NodeTable, (d: Dialect) => string>;

/** Rows of one table by id within the account, read as that table's store reads them. */
export async function nodeRows<T extends NodeTable>(sql: Sql, table: T, accountId: string, ids: readonly string[]): Promise<NodeRow<T>[]> {
  const rows = await sql.all(ROWS[table](sql.dialect), [accountId, ids]);
  const read = READERS[table] as (d: Dialect, r: Row) => NodeRow<T>;
  return rows.map((r) => read(sql.dialect, r));
}
