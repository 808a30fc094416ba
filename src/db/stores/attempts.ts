// Delivery attempts: one row per try, written in batches by the recorder.
import type { DeliveryAttempt } from '../../generated/prisma/client.js';
import type { Dialect } from '../dialect.js';
import type { Row, Sql } from '../sql.js';

/** A DeliveryAttempt row, as stored and returned by the API. */
export type AttemptRecord = DeliveryAttempt;

/** An attempt as announced after its commit and streamed live: the row plus its event, for live filters. */
export interface RecordedAttempt extends AttemptRecord {
  eventId: string;
  eventType: string;
}

export const ATTEMPT_COLUMNS = [
  'id',
  'accountId',
  'deliveryId',
  'webhookId',
  'attemptNumber',
  'trigger',
  'status',
  'requestUrl',
  'requestHeaders',
  'requestBody',
  'responseStatus',
  'responseHeaders',
  'responseBody',
  'durationMs',
  'error',
  'errorClass',
  'nextAttemptAt',
  'createdAt',
] as const;

const INSERT_ONE = `INSERT INTO "DeliveryAttempt" (${ATTEMPT_COLUMNS.map((c) => `"${c}"`).join(', ')})
  VALUES (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`;

const valuesOf = (a: AttemptRecord) => ATTEMPT_COLUMNS.map((c) => a[c]);

export function attemptFromRow(d: Dialect, r: Row): AttemptRecord {
  return {
    id: r.id as string,
    accountId: r.accountId as string,
    deliveryId: r.deliveryId as string,
    webhookId: r.webhookId as string,
    attemptNumber: Number(r.attemptNumber),
    trigger: r.trigger as AttemptRecord['trigger'],
    status: r.status as AttemptRecord['status'],
    requestUrl: r.requestUrl as string,
    requestHeaders: r.requestHeaders as string,
    requestBody: r.requestBody as string,
    responseStatus: r.responseStatus === null ? null : Number(r.responseStatus),
    responseHeaders: (r.responseHeaders as string | null) ?? null,
    responseBody: (r.responseBody as string | null) ?? null,
    durationMs: Number(r.durationMs),
    error: (r.error as string | null) ?? null,
    errorClass: (r.errorClass as string | null) ?? null,
    nextAttemptAt: d.dateOrNull(r.nextAttemptAt),
    createdAt: d.date(r.createdAt),
  };
}

/**
 * Inserts a batch. SQLite: the one cached single-row statement per row (each
 * is microseconds inside the caller's transaction). PostgreSQL: one
 * statement per batch, from one JSON array, so its text and plan stay fixed.
 */
export async function insertAttempts(sql: Sql, attempts: AttemptRecord[]): Promise<void> {
  if (sql.dialect.provider === 'sqlite') {
    for (const a of attempts) await sql.run(INSERT_ONE, valuesOf(a));
    return;
  }
  await sql.run(INSERT_MANY_PG, [attemptsParam(attempts)]);
}

/**
 * PostgreSQL's batch parameter: one JSON array for the whole batch.
 * JSON.stringify is native, while 17 array parameters are escaped element
 * by element in JavaScript.
 */
export const attemptsParam = (attempts: AttemptRecord[]) => JSON.stringify(attempts);

const PG_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'int',
  '"AttemptTrigger"',
  '"AttemptStatus"',
  'text',
  'text',
  'text',
  'int',
  'text',
  'text',
  'int',
  'text',
  'text',
  'timestamp(3)',
  'timestamp(3)',
];
const PG_COLUMNS = ATTEMPT_COLUMNS.map((c) => `"${c}"`).join(', ');
// Dates arrive as ISO strings in UTC; timestamp(3) columns ignore the zone, as the drivers' bound dates do.
/** PostgreSQL's batch insert from attemptsParam(); `where` may hold the rows back (see recordBatch.ts). */
export const insertAttemptsPg = (where = '') => `INSERT INTO "DeliveryAttempt" (${PG_COLUMNS})
  SELECT ${PG_COLUMNS} FROM json_to_recordset(?::json) AS x(${ATTEMPT_COLUMNS.map((c, i) => `"${c}" ${PG_TYPES[i]}`).join(', ')}) ${where}`;
const INSERT_MANY_PG = insertAttemptsPg();

/** A failed attempt, as alerts describe it. */
export interface RecentFailure {
  at: Date;
  responseStatus: number | null;
  errorClass: string | null;
  error: string | null;
  responseBody: string | null;
}

/**
 * A webhook's latest failed attempts, newest first: among its last 50
 * attempts (one index range, however many successes came before).
 */
export async function recentFailures(sql: Sql, webhookId: string, limit: number): Promise<RecentFailure[]> {
  const rows = await sql.all(
    `SELECT * FROM (SELECT "createdAt", "id", "status", "responseStatus", "errorClass", "error", substr("responseBody", 1, 1024) AS "body"
       FROM "DeliveryAttempt" WHERE "webhookId" = ? ORDER BY "createdAt" DESC, "id" DESC LIMIT 50) r
     WHERE r."status" = 'FAILED' ORDER BY r."createdAt" DESC, r."id" DESC LIMIT ${sql.dialect.cast('?', 'int')}`,
    [webhookId, limit],
  );
  return rows.map((r) => ({
    at: sql.dialect.date(r.createdAt),
    responseStatus: r.responseStatus === null ? null : Number(r.responseStatus),
    errorClass: (r.errorClass as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    responseBody: (r.body as string | null) ?? null,
  }));
}
