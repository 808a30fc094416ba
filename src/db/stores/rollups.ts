// Attempt rollups: counters per (account, webhook or "" for the account,
// span, bucket start, metric), added to by the recorder in the transaction
// that inserts the attempts, and summed into a health series by one range
// read on the primary key. See src/dispatch/health.ts for what the metrics are.
import { perDialect } from '../dialect.js';
import type { Sql } from '../sql.js';
import type { RollupKey, Span } from '../../dispatch/health.js';

const UPSERT_PG = `INSERT INTO "AttemptRollup" ("accountId", "webhookId", "span", "at", "metric", "count")
  SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::timestamp(3)[], ?::text[], ?::int[])
  ON CONFLICT ("accountId", "webhookId", "span", "at", "metric") DO UPDATE SET "count" = "AttemptRollup"."count" + EXCLUDED."count"`;

// "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
const UPSERT_SQLITE = `INSERT INTO "AttemptRollup" ("accountId", "webhookId", "span", "at", "metric", "count")
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each(?) WHERE true
  ON CONFLICT ("accountId", "webhookId", "span", "at", "metric") DO UPDATE SET "count" = "count" + excluded."count"`;

/** Adds the increments (one per key) to the rollups: one statement. */
export async function addToRollups(sql: Sql, increments: readonly { key: RollupKey; count: number }[]): Promise<void> {
  if (!increments.length) return;
  if (sql.dialect.provider === 'sqlite') {
    const rows = increments.map(({ key: k, count }) => [k.accountId, k.webhookId, k.span, k.at, k.metric, count]);
    await sql.run(UPSERT_SQLITE, [JSON.stringify(rows)]);
    return;
  }
  await sql.run(UPSERT_PG, [
    increments.map((i) => i.key.accountId),
    increments.map((i) => i.key.webhookId),
    increments.map((i) => i.key.span),
    increments.map((i) => new Date(i.key.at).toISOString()),
    increments.map((i) => i.key.metric),
    increments.map((i) => i.count),
  ]);
}

const SUMS = perDialect((d) => {
  const bucket =
    d.provider === 'sqlite'
      ? // A bound JS number may arrive as a REAL: the division is made an integer one explicitly.
        `CAST(("at" - ?) / ? AS INTEGER)`
      : `floor(extract(epoch from ("at" - ?::timestamp(3))) * 1000 / ?::bigint)::int`;
  return `SELECT ${bucket} AS "b", "metric", SUM("count") AS "n" FROM "AttemptRollup"
    WHERE "accountId" = ? AND "webhookId" = ? AND "span" = ? AND "at" >= ? AND "at" < ?
    GROUP BY 1, 2`;
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
  const rows = await sql.all<{ b: number; metric: string; n: number | string }>(SUMS(sql.dialect), [
    r.start,
    r.bucketMs,
    r.accountId,
    r.webhookId ?? '',
    r.span,
    r.start,
    end,
  ]);
  const out = new Map<number, Map<string, number>>();
  for (const row of rows) {
    const at = r.start.getTime() + Number(row.b) * r.bucketMs;
    let m = out.get(at);
    if (!m) out.set(at, (m = new Map()));
    m.set(row.metric, Number(row.n));
  }
  return out;
}
