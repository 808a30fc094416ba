// Attempt rollups: counters per (account, webhook or "" for the account,
// span, bucket start, metric), added to by the recorder in the transaction
// that inserts the attempts, and summed into a health series by one range
// read on the primary key. See src/dispatch/health.ts for what the metrics are.
import { perDialect } from '../dialect.js';
import type { Sql } from '../sql.js';
import type { RollupKey, Span } from '../../dispatch/health.js';

/** PostgreSQL's upsert from rollupParams(); `where` may hold the rows back (see recordBatch.ts). */
export const upsertRollupsPg = (where = '') => `INSERT INTO "AttemptRollup" ("accountId", "webhookId", "span", "at", "metric", "count")
  SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::timestamp(3)[], ?::text[], ?::int[]) ${where}
  ON CONFLICT ("accountId", "webhookId", "span", "at", "metric") DO UPDATE SET "count" = "AttemptRollup"."count" + EXCLUDED."count"`;
const UPSERT_PG = upsertRollupsPg();

export type RollupIncrement = { key: RollupKey; count: number };

/** PostgreSQL's parameters for upsertRollupsPg: one array per column. */
export const rollupParams = (increments: readonly RollupIncrement[]) => [
  increments.map((i) => i.key.accountId),
  increments.map((i) => i.key.webhookId),
  increments.map((i) => i.key.span),
  increments.map((i) => new Date(i.key.at).toISOString()),
  increments.map((i) => i.key.metric),
  increments.map((i) => i.count),
];

// "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
const UPSERT_SQLITE = `INSERT INTO "AttemptRollup" ("accountId", "webhookId", "span", "at", "metric", "count")
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?) WHERE true
  ON CONFLICT ("accountId", "webhookId", "span", "at", "metric") DO UPDATE SET "count" = "count" + excluded."count"`;

/** Adds the increments (one per key) to the rollups: one statement. */
export async function addToRollups(sql: Sql, increments: readonly RollupIncrement[]): Promise<void> {
  if (!increments.length) return;
  if (sql.dialect.provider === 'sqlite') {
    const rows = increments.map(({ key: k, count }) => [k.accountId, k.webhookId, k.span, k.at, k.metric, count]);
    await sql.run(UPSERT_SQLITE, [JSON.stringify(rows)]);
    return;
  }
  await sql.run(UPSERT_PG, rollupParams(increments));
}

// One row per bucket, its metrics as one JSON object ({"attempts": 12, ...}):
// a 24-hour dashboard in 5-minute buckets reads about 9,500 rollup rows, and
// returning them one by one cost 50 ms on SQLite (row objects, a sort for
// GROUP BY) where the JSON form takes 2-3 ms; PostgreSQL gains likewise on
// the wire and in the driver. When the buckets are the rollups' own span the
// rows come in key order and group by "at" without a sort; longer buckets
// (say 15 minutes from 5-minute rollups) sum per bucket and metric first.
const FILTER = `"accountId" = ? AND "webhookId" = ? AND "span" = ? AND "at" >= ? AND "at" < ?`;
const jsonObject = (d: { provider: string }, k: string, v: string) =>
  d.provider === 'sqlite' ? `json_group_object(${k}, ${v})` : `json_object_agg(${k}, ${v})::text`;

const SUMS_BY_SPAN = perDialect(
  (d) => `SELECT "at" AS "b", ${jsonObject(d, '"metric"', '"count"')} AS "m" FROM "AttemptRollup" WHERE ${FILTER} GROUP BY "at"`,
);

const SUMS_REBUCKETED = perDialect((d) => {
  const bucket =
    d.provider === 'sqlite'
      ? // A bound JS number may arrive as a REAL: the division is made an integer one explicitly.
        `CAST(("at" - ?) / ? AS INTEGER)`
      : `floor(extract(epoch from ("at" - ?::timestamp(3))) * 1000 / ?::bigint)::int`;
  return `SELECT "b", ${jsonObject(d, '"metric"', '"n"')} AS "m" FROM (
      SELECT ${bucket} AS "b", "metric", SUM("count") AS "n" FROM "AttemptRollup" WHERE ${FILTER} GROUP BY 1, 2
    ) AS "sums" GROUP BY "b"`;
});

export interface RollupRange {
  accountId: string;
  /** null: the account's totals. */
  webhookId: string | null;
  span: Span;
  start: Date;
  bucketMs: number;
  buckets: number;
}

/** Counters summed per bucket of the range: bucket start ms → metric → count. */
export async function sumRollups(sql: Sql, r: RollupRange): Promise<Map<number, Map<string, number>>> {
  const end = new Date(r.start.getTime() + r.bucketMs * r.buckets);
  const filter = [r.accountId, r.webhookId ?? '', r.span, r.start, end];
  const bySpan = r.bucketMs === r.span * 1000;
  const rows = bySpan
    ? await sql.all<{ b: Date; m: string }>(SUMS_BY_SPAN(sql.dialect), filter)
    : await sql.all<{ b: number; m: string }>(SUMS_REBUCKETED(sql.dialect), [r.start, r.bucketMs, ...filter]);
  const out = new Map<number, Map<string, number>>();
  for (const row of rows) {
    const at = bySpan ? bucketStart(row.b) : r.start.getTime() + Number(row.b) * r.bucketMs;
    out.set(at, new Map(Object.entries(JSON.parse(row.m) as Record<string, number | string>).map(([k, v]) => [k, Number(v)])));
  }
  return out;
}

/** "at" as read back: a Date on PostgreSQL, epoch milliseconds on SQLite (a raw aggregate row is not typed). */
function bucketStart(at: Date | number | string): number {
  return at instanceof Date ? at.getTime() : typeof at === 'number' ? at : new Date(at).getTime();
}
