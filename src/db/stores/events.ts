// The transactional outbox: an event and one delivery per webhook it reaches
// (active, subscribed to its type, on its channels, and matching its content
// filter if it has one), written in one transaction. Hand-written SQL:
// publishing is the hottest write path, and the fan-out is one INSERT …
// SELECT, so the set of subscribers is read and the deliveries written
// atomically, whatever webhooks change meanwhile.
import type { Event } from '../../generated/prisma/client.js';
import { newId } from '../../base/ids.js';
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
    channels: r.channels == null ? null : d.json(r.channels),
    idempotencyKey: (r.idempotencyKey as string | null) ?? null,
    createdAt: d.date(r.createdAt),
  };
}

/** The event's channels as a list (none: empty), the bound list routing compares webhooks' channels with. */
export const channelsOf = (e: Pick<StoredEvent, 'channels'>): string[] => (Array.isArray(e.channels) ? (e.channels as string[]) : []);
/** The channels column: a JSON array, or null for none. */
const channelsColumn = (e: Pick<StoredEvent, 'channels'>) => (channelsOf(e).length ? JSON.stringify(e.channels) : null);

export async function insertEvent(sql: Sql, e: StoredEvent): Promise<void> {
  await sql.run(
    `INSERT INTO "Event" ("id", "accountId", "type", "payload", "channels", "idempotencyKey", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [e.id, e.accountId, e.type, e.payload, channelsColumn(e), e.idempotencyKey, e.createdAt],
  );
}

/** A delivery row the fan-out wrote: what the delivery thread needs to claim it by primary key. */
export interface FannedOut {
  id: string;
  webhookId: string;
  /** Inserted already leased to the publishing instance's delivery thread (see LeaseToSelf). */
  owned?: boolean;
}

/** New rows leased at insert to this instance's delivery thread, which sends them without a claim. */
export interface LeaseToSelf {
  owner: string;
  until: Date;
}

/** An active, subscribed webhook on the event's channels that has a content filter: the filter decides (in code). */
export interface FilterCandidate {
  id: string;
  /** The filter's JSON text, as saved. */
  filter: string;
}

/*
 * Who an event goes to. Every condition but the content filter is SQL, so
 * the fan-out stays one set-based INSERT … SELECT however many webhooks
 * match; webhooks with a filter are left out of it and returned as
 * candidates, whose filters the publish evaluates (src/outbox/publish.ts)
 * before inserting their deliveries in the same transaction.
 *
 * Bound, in order: accountId, type, "*", the event's channels (a list).
 */
const routed = (d: Dialect, filtered: boolean) => `w."id" IN (
         -- Driven by the (accountId, eventType) index: the cost follows the
         -- fan-out, not the number of webhooks in the account.
         SELECT we."webhookId" FROM "WebhookEvent" we
         WHERE we."accountId" = ? AND we."eventType" IN (?, ?))
       AND w."state" = 'ACTIVE'
       AND w."filter" IS ${filtered ? 'NOT NULL' : 'NULL'}
       AND (w."channels" IS NULL OR ${d.jsonArrayOverlaps('w."channels"')})`;
const routedValues = (e: StoredEvent) => [e.accountId, e.type, ALL_EVENTS, channelsOf(e)];

const FAN_OUT = perDialect(
  (
    d,
  ) => `INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt")
     SELECT ${d.idFromList('row_number() OVER ()')}, w."accountId", ?, w."id", 'PENDING', 0, ?, ?, ?
     FROM "Webhook" w
     WHERE ${routed(d, false)}
     RETURNING "id", "webhookId"`,
);

/**
 * One delivery per active webhook without a content filter that the event
 * reaches (type and channels); returns the new rows. `ids` are used for the
 * new rows in turn; rows beyond them get ids made by the database.
 */
export function fanOut(sql: Sql, e: StoredEvent, ids: readonly string[]): Promise<FannedOut[]> {
  return sql.all<FannedOut>(FAN_OUT(sql.dialect), [ids, e.id, e.createdAt, e.createdAt, e.createdAt, ...routedValues(e)]);
}

const CANDIDATES = perDialect((d) => `SELECT w."id", w."filter" FROM "Webhook" w WHERE ${routed(d, true)}`);

/** The webhooks the event reaches by type and channels that have a content filter. */
export function filterCandidates(sql: Sql, e: StoredEvent): Promise<FilterCandidate[]> {
  return sql.all<FilterCandidate>(CANDIDATES(sql.dialect), routedValues(e));
}

const DELIVERIES_FOR = perDialect(
  (
    d,
  ) => `INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt")
     SELECT ${d.idFromList('row_number() OVER ()')}, w."accountId", ?, w."id", 'PENDING', 0, ?, ?, ?
     FROM "Webhook" w
     WHERE ${d.scope('w."accountId"')} = ? AND ${d.inList('w."id"')} AND w."state" = 'ACTIVE'
     RETURNING "id", "webhookId"`,
);

/** One delivery of the event to each of these webhooks (those whose filter matched) that is still active. */
export function insertDeliveriesFor(sql: Sql, e: StoredEvent, webhookIds: readonly string[]): Promise<FannedOut[]> {
  if (!webhookIds.length) return Promise.resolve([]);
  const ids = webhookIds.map(() => newId());
  return sql.all<FannedOut>(DELIVERIES_FOR(sql.dialect), [ids, e.id, e.createdAt, e.createdAt, e.createdAt, e.accountId, webhookIds]);
}

export interface FanOutResult {
  /** False when `whatever` was false and the event reaches webhooks with filters: nothing was written. */
  inserted: boolean;
  rows: FannedOut[];
  candidates: FilterCandidate[];
}

const EVENT_WITH_FAN_OUT = perDialect(
  (d) => `WITH f AS (
       SELECT w."id", w."filter" FROM "Webhook" w WHERE ${routed(d, true)}),
     e AS (
       INSERT INTO "Event" ("id", "accountId", "type", "payload", "channels", "idempotencyKey", "createdAt")
       SELECT ?::text, ?::text, ?::text, ?::text, ?::jsonb, ?::text, ?::timestamp(3)
       WHERE ?::boolean OR NOT EXISTS (SELECT 1 FROM f)
       RETURNING "id", "createdAt"),
     d AS (
       INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt", "leaseOwner", "leaseUntil")
       SELECT ${d.idFromList('row_number() OVER ()')}, w."accountId", e."id", w."id", 'PENDING', 0, e."createdAt", e."createdAt", e."createdAt",
         -- A gated webhook's rows wait for its own claim (rate limit, order, circuit).
         CASE WHEN w."gated" THEN NULL ELSE ?::text END, CASE WHEN w."gated" THEN NULL ELSE ?::timestamp(3) END
       FROM e CROSS JOIN "Webhook" w
       WHERE ${routed(d, false)}
       RETURNING "id", "webhookId", "leaseOwner" IS NOT NULL AS "owned")
     SELECT "id", "webhookId", "owned", NULL::text AS "filter" FROM d
     UNION ALL SELECT "id", NULL, false, "filter" FROM f`,
);

/**
 * PostgreSQL only: the event and its fan-out as one statement (a
 * data-modifying WITH), so a publish outside any transaction is one round
 * trip, atomic on its own, with no BEGIN or COMMIT. The deliveries reference
 * the event row the same statement inserts (foreign keys are checked at the
 * end of the statement). Returns the deliveries it made (their ids are the
 * delivery thread's claim hints) and the filter candidates. With `lease`,
 * rows for webhooks that are not gated are inserted leased to it (`owned`).
 *
 * Filters are evaluated in code, after this statement, so outside a
 * transaction (`whatever` false) the statement writes nothing when the
 * event reaches a webhook with a filter: the caller then publishes in a
 * transaction instead (this statement with `whatever` true, the filters,
 * then insertDeliveriesFor). An account without filters never pays for that.
 */
export async function insertEventWithFanOut(
  sql: Sql,
  e: StoredEvent,
  whatever: boolean,
  ids: readonly string[],
  lease: LeaseToSelf | null = null,
): Promise<FanOutResult> {
  const all = await sql.all<{ id: string; webhookId: string | null; owned: boolean; filter: string | null }>(
    EVENT_WITH_FAN_OUT(sql.dialect),
    [
      ...routedValues(e),
      e.id,
      e.accountId,
      e.type,
      e.payload,
      channelsColumn(e),
      e.idempotencyKey,
      e.createdAt,
      whatever,
      ids,
      lease?.owner ?? null,
      lease?.until ?? null,
      ...routedValues(e),
    ],
  );
  const rows: FannedOut[] = [];
  const candidates: FilterCandidate[] = [];
  for (const r of all) {
    if (r.filter === null) rows.push(r.owned ? { id: r.id, webhookId: r.webhookId!, owned: true } : { id: r.id, webhookId: r.webhookId! });
    else candidates.push({ id: r.id, filter: r.filter });
  }
  return { inserted: whatever || candidates.length === 0, rows, candidates };
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

/** One due delivery of the event to one webhook, whatever its routing (sendExampleEvent); it waits while the webhook is not active. */
export async function insertDeliveryTo(sql: Sql, e: StoredEvent, webhookId: string, id: string): Promise<FannedOut> {
  await sql.run(
    `INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "nextAttemptAt", "createdAt", "updatedAt")
     VALUES (?, ?, ?, ?, 'PENDING', 0, ?, ?, ?)`,
    [id, e.accountId, e.id, webhookId, e.createdAt, e.createdAt, e.createdAt],
  );
  return { id, webhookId };
}
