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
    schema: (r.schema as string | null) ?? null,
    example: (r.example as string | null) ?? null,
    createdAt: d.date(r.createdAt),
  };
}

export async function listCustomEventTypes(sql: Sql, accountId: string): Promise<EventType[]> {
  const rows = await sql.all(`SELECT * FROM "EventType" WHERE "accountId" = ?`, [accountId]);
  return rows.map((r) => eventTypeFromRow(sql.dialect, r));
}

export async function findEventType(sql: Sql, accountId: string, id: string): Promise<EventType | null> {
  const r = await sql.get(`SELECT * FROM "EventType" WHERE "accountId" = ? AND "id" = ?`, [accountId, id]);
  return r ? eventTypeFromRow(sql.dialect, r) : null;
}

export async function eventTypeExists(sql: Sql, accountId: string, name: string): Promise<boolean> {
  return !!(await sql.get(`SELECT 1 AS "x" FROM "EventType" WHERE "accountId" = ? AND "name" = ?`, [accountId, name]));
}

export async function insertEventType(sql: Sql, e: EventType): Promise<void> {
  await sql.run(
    `INSERT INTO "EventType" ("id", "accountId", "name", "group", "description", "schema", "example", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.id, e.accountId, e.name, e.group, e.description, e.schema, e.example, e.createdAt],
  );
}

export interface EventTypePatch {
  group?: string;
  description?: string;
  /** Set (JSON text, or null to remove) or, if undefined, left as it is. */
  schema?: string | null;
  example?: string | null;
}

/** Changes the given fields (others stay); one fixed statement whatever the patch. */
export async function updateEventTypeRow(sql: Sql, accountId: string, id: string, p: EventTypePatch): Promise<EventType | null> {
  const bool = sql.dialect.cast('?', 'bool');
  const r = await sql.get(
    `UPDATE "EventType" SET "group" = COALESCE(?, "group"), "description" = COALESCE(?, "description"),
       "schema" = CASE WHEN ${bool} THEN ? ELSE "schema" END, "example" = CASE WHEN ${bool} THEN ? ELSE "example" END
     WHERE "accountId" = ? AND "id" = ? RETURNING *`,
    [
      p.group ?? null,
      p.description ?? null,
      p.schema !== undefined,
      p.schema ?? null,
      p.example !== undefined,
      p.example ?? null,
      accountId,
      id,
    ],
  );
  return r ? eventTypeFromRow(sql.dialect, r) : null;
}

/** How many webhooks subscribe to this type by name ("*" subscribers do not count). */
export async function subscriberCount(sql: Sql, accountId: string, name: string): Promise<number> {
  const r = await sql.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "WebhookEvent" WHERE "accountId" = ? AND "eventType" = ?`, [
    accountId,
    name,
  ]);
  return Number(r?.n ?? 0);
}

/**
 * Deletes the type unless a webhook subscribes to it by name, in one
 * statement, so a subscription committed meanwhile is never orphaned by it.
 * Returns whether it was deleted.
 */
export async function deleteUnusedEventType(sql: Sql, accountId: string, id: string, name: string): Promise<boolean> {
  const n = await sql.run(
    `DELETE FROM "EventType" WHERE "accountId" = ? AND "id" = ?
       AND NOT EXISTS (SELECT 1 FROM "WebhookEvent" WHERE "accountId" = ? AND "eventType" = ?)`,
    [accountId, id, accountId, name],
  );
  return n > 0;
}
