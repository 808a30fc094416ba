// The delivery log over 1,000,000 attempts (issue 9; scenario 8 of
// `npm run bench`): 100,000 deliveries of 100,000 events to 100 webhooks in
// one account, 10 attempts each, 10% failed, written with SQL; then a
// filtered account-wide page, its bounded count and a page from a cursor
// deep in the log, each timed over repeated runs through the data layer the
// API uses. SQLite file in a temp directory; PostgreSQL in a scratch
// database dropped afterwards. On its own:
//   npx tsx bench/log-page.ts [sqlite|postgresql] [attempts]
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgDatabase } from './lib/server.js';
import { openSqliteFile, SqliteSql } from '../src/db/sqlite.js';
import { createPgPool, PgSql } from '../src/db/pg.js';
import { migratePostgres, migrateSqlite } from '../src/db/migrate.js';
import type { Sql } from '../src/db/sql.js';
import { attemptPage, countAttempts, deliveryPage } from '../src/db/stores/log.js';
import { parseAttemptFilter, parseDeliveryFilter } from '../src/domain/log/filter.js';

const ACCOUNT = 'benchAccount';

async function fill(sql: Sql, pgDialect: boolean, N: number) {
  const series = (n: number) =>
    pgDialect
      ? `generate_series(0, ${n - 1}) AS s(i)`
      : `(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1}) SELECT i FROM s) s`;
  const ts = (ms: string) => (pgDialect ? `to_timestamp((${ms}) / 1000.0)::timestamp(3)` : `(${ms})`);
  const base = Date.UTC(2026, 0, 1);
  const pad = (e: string) => (pgDialect ? `lpad((${e})::text, 8, '0')` : `printf('%08d', ${e})`);
  await sql.run(`INSERT INTO "Account" ("id", "name", "createdAt") VALUES ('${ACCOUNT}', 'bench', ${ts(String(base))})`);
  await sql.run(`INSERT INTO "Associate" ("id", "accountId", "name", "email", "role", "createdAt", "updatedAt")
    VALUES ('benchAdmin', '${ACCOUNT}', 'Admin', 'a@example.com', 'ADMIN', ${ts(String(base))}, ${ts(String(base))})`);
  await sql.run(`INSERT INTO "Webhook" ("id", "accountId", "name", "nameKey", "targetUrl", "properties", "ownerId", "registeredById", "updatedById", "secretCiphertext")
    SELECT 'wh' || ${pad('i')}, '${ACCOUNT}', 'hook ' || i, 'hook ' || i, 'https://example.com/' || i, '{}', 'benchAdmin', 'benchAdmin', 'benchAdmin', 'x' FROM ${series(100)}`);
  const D = N / 10;
  // N / 10 events of 10 types, spread over 10 days.
  await sql.run(`INSERT INTO "Event" ("id", "accountId", "type", "payload", "createdAt")
    SELECT 'ev' || ${pad('i')}, '${ACCOUNT}', 'type.' || (i % 10), '{}', ${ts(`${base} + i * ${864_000_000 / D}`)} FROM ${series(D)}`);
  await sql.run(`INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "createdAt", "updatedAt")
    SELECT 'de' || ${pad('i')}, '${ACCOUNT}', 'ev' || ${pad('i')}, 'wh' || ${pad('i % 100')}, 'SUCCEEDED', 10, ${ts(`${base} + i * ${864_000_000 / D}`)}, ${ts(`${base} + i * ${864_000_000 / D}`)} FROM ${series(D)}`);
  // 1,000,000 attempts: 10 per delivery; every 10th failed (half 500, half 503, a tenth of those timeouts).
  await sql.run(`INSERT INTO "DeliveryAttempt" ("id", "accountId", "deliveryId", "webhookId", "attemptNumber", "trigger", "status",
      "requestUrl", "requestHeaders", "requestBody", "responseStatus", "responseBody", "durationMs", "error", "errorClass", "createdAt")
    SELECT 'at' || ${pad('i')}, '${ACCOUNT}', 'de' || ${pad('i / 10')}, 'wh' || ${pad('(i / 10) % 100')}, 1 + i % 10, 'SCHEDULED'${pgDialect ? '::"AttemptTrigger"' : ''},
      (CASE WHEN i % 10 = 3 THEN 'FAILED' ELSE 'SUCCEEDED' END)${pgDialect ? '::"AttemptStatus"' : ''}, 'https://example.com/', '{}', '{}',
      CASE WHEN i % 10 <> 3 THEN 200 WHEN i % 100 = 3 THEN NULL WHEN i % 20 = 3 THEN 500 ELSE 503 END,
      CASE WHEN i % 10 <> 3 THEN 'ok' WHEN i % 20 = 3 THEN 'upstream database timeout' ELSE 'busy' END,
      5, NULL,
      CASE WHEN i % 10 <> 3 THEN NULL WHEN i % 100 = 3 THEN 'TIMEOUT' ELSE 'HTTP_ERROR' END,
      ${ts(`${base} + i * ${86_400_000 / D}`)} FROM ${series(N)}`);
}

export interface LogTiming {
  label: string;
  medianMs: number;
  p95Ms: number;
}

async function time(out: LogTiming[], label: string, fn: () => Promise<unknown>, runs = 30) {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  out.push({ label, medianMs: ms[ms.length >> 1], p95Ms: ms[Math.floor(ms.length * 0.95)] });
}

async function measure(sql: Sql): Promise<LogTiming[]> {
  const out: LogTiming[] = [];
  const failed5xx = parseAttemptFilter({ statuses: ['FAILED'], httpStatusFrom: 500, httpStatusTo: 599 });
  const page = (filter: ReturnType<typeof parseAttemptFilter>, beyond: { at: number; id: string } | null = null) =>
    attemptPage(sql, { accountId: ACCOUNT, filter, ascending: false, beyond, limit: 51 });
  await time(out, 'first page (50) of all attempts', () => page(parseAttemptFilter({})));
  await time(out, 'first page (50), FAILED with HTTP 500–599', () => page(failed5xx));
  await time(out, 'first page (50), errorClasses [TIMEOUT]', () => page(parseAttemptFilter({ errorClasses: ['TIMEOUT'] })));
  await time(out, 'first page (50), eventTypes [type.2], search "timeout"', () =>
    page(parseAttemptFilter({ eventTypes: ['type.2'], search: 'timeout' })),
  );
  await time(
    out,
    'no match at all, eventTypes [type.3], search "timeout" (walks the whole account)',
    () => page(parseAttemptFilter({ eventTypes: ['type.3'], search: 'timeout' })),
    3,
  );
  await time(out, 'first page (50), one webhook, FAILED', () =>
    page(parseAttemptFilter({ webhookIds: ['wh00000042'], statuses: ['FAILED'] })),
  );
  const deep = (await page(parseAttemptFilter({}), null))[0];
  const middle = { at: deep.createdAt.getTime() - 432_000_000, id: 'zzzz' };
  await time(out, 'page (50) after a cursor half-way back, FAILED 5xx', () => page(failed5xx, middle));
  await time(out, 'totalCount (capped at 10,000), FAILED 5xx', () => countAttempts(sql, ACCOUNT, failed5xx, 10_000), 10);
  await time(out, 'deliveries page (50), eventTypes [type.7]', () =>
    deliveryPage(sql, {
      accountId: ACCOUNT,
      filter: parseDeliveryFilter({ eventTypes: ['type.7'] }),
      ascending: false,
      beyond: null,
      limit: 51,
    }),
  );
  return out;
}

/** Fills a scratch database with n attempts and times the log's pages on it; fillSeconds says how long the fill took. */
export async function measureLogPage(provider: 'sqlite' | 'postgresql', n: number): Promise<{ fillSeconds: number; timings: LogTiming[] }> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hookline-logbench-'));
    const conn = new SqliteSql(openSqliteFile({ path: join(dir, 'bench.db') }), null);
    try {
      migrateSqlite(conn);
      const t = performance.now();
      await fill(conn, false, n);
      conn.db.exec('ANALYZE');
      const fillSeconds = (performance.now() - t) / 1000;
      return { fillSeconds, timings: await measure(conn) };
    } finally {
      conn.db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const db = await createPgDatabase();
  if ('error' in db) throw new Error(`PostgreSQL: ${db.error}`);
  const conn = new PgSql(createPgPool(db.url, 4), null);
  try {
    await migratePostgres(conn);
    const t = performance.now();
    await fill(conn, true, n);
    await conn.run('ANALYZE');
    const fillSeconds = (performance.now() - t) / 1000;
    return { fillSeconds, timings: await measure(conn) };
  } finally {
    await conn.pool.end();
    await db.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const provider = process.argv[2] === 'postgresql' ? 'postgresql' : 'sqlite';
  const n = Number(process.argv[3] ?? 1_000_000);
  const r = await measureLogPage(provider, n);
  console.log(`# ${provider}, ${n} attempts, filled in ${r.fillSeconds.toFixed(1)} s`);
  for (const t of r.timings) console.log(`${t.label}: median ${t.medianMs.toFixed(2)} ms, p95 ${t.p95Ms.toFixed(2)} ms`);
}
