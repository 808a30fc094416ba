// The transactional outbox: an event and one delivery per subscribed, active
// webhook, written in one transaction. Hand-written SQL: publishing is the
// hottest write path, and the fan-out is one INSERT … SELECT, so the set of
// subscribers is read and the deliveries written atomically, whatever
// webhooks change meanwhile.
import type { Event } from '../../generated/prisma/client.js';
import { perDialect, type Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';

export type StoredEvent = Event;

export const ALL_EVENTS = '*';

export function eventFromRow(d: Dialect, r: Row): StoredEvent {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    type: r.type as string,
    payload: (r.payload as string | null) ?? null,
    idempotencyKey: (r.idempotencyKey as string | null) ?? null,
    createdAt: d.date(r.createdAt),
  };
}

export async function insertEvent(sql: Sql, e: StoredEvent): Promise<void> {
  await sql.run(`INSERT INTO "Event" ("id", "accountId", "type", "payload", "idempotencyKey", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`, [
    e.id,
    e.accountId,
    e.type,
    e.payload,
    e.idempotencyKey,
    e.createdAt,
  ]);
}

/** A delivery row the fan-out wrote: what the delivery thread needs to claim it by primary key. */
export interface FannedOut {
  id: string;
  webhookId: string;
}

/** One delivery per active webhook subscribed to the event's type (or to "*"); returns the new rows' ids. */
export function fanOut(sql: Sql, e: StoredEvent): Promise<FannedOut[]> {
  return sql.all<FannedOut>(
    `INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt")
     SELECT ${sql.dialect.newIdSql}, w."accountId", ?, w."id", 'PENDING', 0, ?, ?, ?
     FROM "Webhook" w
     WHERE w."id" IN (
         -- Driven by the (accountId, eventType) index: the cost follows the
         -- fan-out, not the number of webhooks in the account.
         SELECT we."webhookId" FROM "WebhookEvent" we
         WHERE we."accountId" = ? AND we."eventType" IN (?, ?))
       AND w."state" = 'ACTIVE'
     RETURNING "id", "webhookId"`,
    [e.id, e.createdAt, e.createdAt, e.createdAt, e.accountId, e.type, ALL_EVENTS],
  );
}

/**
 * PostgreSQL only: the event and its fan-out as one statement (a
 * data-modifying WITH), so a publish outside any transaction is one round
 * trip, atomic on its own, with no BEGIN or COMMIT. The deliveries reference
 * the event row the same statement inserts (foreign keys are checked at the
 * end of the statement). Returns the deliveries it made (their ids are the
 * delivery thread's claim hints).
 */
export async function insertEventWithFanOut(sql: Sql, e: StoredEvent): Promise<{ id: string; webhookId: string }[]> {
  return sql.all<{ id: string; webhookId: string }>(
    `WITH e AS (
       INSERT INTO "Event" ("id", "accountId", "type", "payload", "idempotencyKey", "createdAt") VALUES (?, ?, ?, ?, ?, ?)
       RETURNING "id", "createdAt"),
     d AS (
       INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt")
       SELECT ${sql.dialect.newIdSql}, w."accountId", e."id", w."id", 'PENDING', 0, e."createdAt", e."createdAt", e."createdAt"
       FROM e CROSS JOIN "Webhook" w
       WHERE w."id" IN (
           SELECT we."webhookId" FROM "WebhookEvent" we
           WHERE we."accountId" = ? AND we."eventType" IN (?, ?))
         AND w."state" = 'ACTIVE'
       RETURNING "id", "webhookId")
     SELECT "id", "webhookId" FROM d`,
    [e.id, e.accountId, e.type, e.payload, e.idempotencyKey, e.createdAt, e.accountId, e.type, ALL_EVENTS],
  );
}

/** The event stored under an idempotency key, with its delivery count. */
export async function findByIdempotencyKey(
  sql: Sql,
  accountId: string,
  key: string,
): Promise<{ event: StoredEvent; deliveryCount: number } | null> {
  const r = await sql.get(
    `SELECT e.*, (SELECT COUNT(*) FROM "Delivery" d WHERE d."eventId" = e."id") AS "deliveryCount"
     FROM "Event" e WHERE e."accountId" = ? AND e."idempotencyKey" = ?`,
    [accountId, key],
  );
  return r ? { event: eventFromRow(sql.dialect, r), deliveryCount: Number(r.deliveryCount) } : null;
}

/** Frees an expired idempotency key from its old event, so it can be used again. */
export async function releaseIdempotencyKey(sql: Sql, accountId: string, key: string): Promise<void> {
  await sql.run(`UPDATE "Event" SET "idempotencyKey" = NULL WHERE "accountId" = ? AND "idempotencyKey" = ?`, [accountId, key]);
}

/** The events a batch of deliveries needs (the delivery thread's second read). */
const BY_IDS = perDialect((d) => `SELECT * FROM "Event" WHERE ${d.inList('"id"')}`);

export async function eventsByIds(sql: Sql, ids: string[]): Promise<StoredEvent[]> {
  const rows = await sql.all(BY_IDS(sql.dialect), [ids]);
  return rows.map((r) => eventFromRow(sql.dialect, r));
}

/** The types of events by id, within one account. */
export async function eventTypesByIds(sql: Sql, accountId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await sql.all<{ id: string; type: string }>(
    `SELECT "id", "type" FROM "Event" WHERE ${sql.dialect.scope('"accountId"')} = ? AND ${sql.dialect.inList('"id"')}`,
    [accountId, ids],
  );
  return new Map(rows.map((r) => [r.id, r.type]));
}
