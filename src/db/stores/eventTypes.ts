// Custom event types in an account's catalog (built-in ones live in code).
import type { EventType } from '../../generated/prisma/client.js';
import type { Row, Sql } from '../sql.js';
import type { Dialect } from '../dialect.js';

export type { EventType };

export function eventTypeFromRow(d: Dialect, r: Row): EventType {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    name: r.name as string,
    group: r.group as string,
    description: r.description as string,
    createdAt: d.date(r.createdAt),
  };
}

export async function listCustomEventTypes(sql: Sql, accountId: string): Promise<EventType[]> {
  const rows = await sql.all(`SELECT * FROM "EventType" WHERE "accountId" = ?`, [accountId]);
  return rows.map((r) => eventTypeFromRow(sql.dialect, r));
}

export async function eventTypeExists(sql: Sql, accountId: string, name: string): Promise<boolean> {
  return !!(await sql.get(`SELECT 1 AS "x" FROM "EventType" WHERE "accountId" = ? AND "name" = ?`, [accountId, name]));
}

export async function insertEventType(sql: Sql, e: EventType): Promise<void> {
  await sql.run(`INSERT INTO "EventType" ("id", "accountId", "name", "group", "description", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`, [
    e.id,
    e.accountId,
    e.name,
    e.group,
    e.description,
    e.createdAt,
  ]);
}
