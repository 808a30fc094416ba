// A standalone measurement for the delivery log (issue 9), not part of the
// bench suite: 1,000,000 attempts (100,000 deliveries of 100,000 events to
// 100 webhooks in one account, 10 attempts each, 10% failed) written with
// SQL, then a filtered account-wide page, its bounded count and a page from
// a cursor deep in the log, each timed over repeated runs. SQLite file in a
// temp directory; PostgreSQL in a scratch database it drops afterwards.
//   npx tsx bench/log-page.ts [sqlite|postgresql]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openSqliteFile, SqliteSql } from '../src/db/sqlite.js';
import { createPgPool, PgSql } from '../src/db/pg.js';
import { migratePostgres, migrateSqlite } from '../src/db/migrate.js';
import type { Sql } from '../src/db/sql.js';
import { attemptPage, countAttempts, deliveryPage } from '../src/db/stores/log.js';
import { parseAttemptFilter, parseDeliveryFilter } from '../src/domain/log/filter.js';

const N = 1_000_000;
const ACCOUNT = 'benchAccount';

async function fill(sql: Sql, pgDialect: boolean) {
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
  // 100,000 events of 10 types, one a minute-ish.
  await sql.run(`INSERT INTO "Event" ("id", "accountId", "type", "payload", "createdAt")
    SELECT 'ev' || ${pad('i')}, '${ACCOUNT}', 'type.' || (i % 10), '{}', ${ts(`${base} + i * 8640`)} FROM ${series(100_000)}`);
  await sql.run(`INSERT INTO "Delivery" ("id", "accountId", "eventId", "webhookId", "status", "attemptCount", "createdAt", "updatedAt")
    SELECT 'de' || ${pad('i')}, '${ACCOUNT}', 'ev' || ${pad('i')}, 'wh' || ${pad('i % 100')}, 'SUCCEEDED', 10, ${ts(`${base} + i * 8640`)}, ${ts(`${base} + i * 8640`)} FROM ${series(100_000)}`);
  // 1,000,000 attempts: 10 per delivery; every 10th failed (half 500, half 503, a tenth of those timeouts).
  await sql.run(`INSERT INTO "DeliveryAttempt" ("id", "accountId", "deliveryId", "webhookId", "attemptNumber", "trigger", "status",
      "requestUrl", "requestHeaders", "requestBody", "responseStatus", "responseBody", "durationMs", "error", "errorClass", "createdAt")
    SELECT 'at' || ${pad('i')}, '${ACCOUNT}', 'de' || ${pad('i / 10')}, 'wh' || ${pad('(i / 10) % 100')}, 1 + i % 10, 'SCHEDULED'${pgDialect ? '::"AttemptTrigger"' : ''},
      (CASE WHEN i % 10 = 3 THEN 'FAILED' ELSE 'SUCCEEDED' END)${pgDialect ? '::"AttemptStatus"' : ''}, 'https://example.com/', '{}', '{}',
      CASE WHEN i % 10 <> 3 THEN 200 WHEN i % 100 = 3 THEN NULL WHEN i % 20 = 3 THEN 500 ELSE 503 END,
      CASE WHEN i % 10 <> 3 THEN 'ok' WHEN i % 20 = 3 THEN 'upstream database timeout' ELSE 'busy' END,
      5, NULL,
      CASE WHEN i % 10 <> 3 THEN NULL WHEN i % 100 = 3 THEN 'TIMEOUT' ELSE 'HTTP_ERROR' END,
      ${ts(`${base} + i * 864`)} FROM ${series(N)}`);
}

async function time(label: string, fn: () => Promise<unknown>, runs = 30) {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: median ${ms[ms.length >> 1].toFixed(2)} ms, p95 ${ms[Math.floor(ms.length * 0.95)].toFixed(2)} ms`);
}

async function measure(sql: Sql, label: string) {
  const failed5xx = parseAttemptFilter({ statuses: ['FAILED'], httpStatusFrom: 500, httpStatusTo: 599 });
  const page = (filter: ReturnType<typeof parseAttemptFilter>, beyond: { at: number; id: string } | null = null) =>
    attemptPage(sql, { accountId: ACCOUNT, filter, ascending: false, beyond, limit: 51 });
  console.log(`# ${label}, ${N} attempts`);
  await time('first page (50) of all attempts', () => page(parseAttemptFilter({})));
  await time('first page (50), FAILED with HTTP 500–599', () => page(failed5xx));
  await time('first page (50), errorClasses [TIMEOUT]', () => page(parseAttemptFilter({ errorClasses: ['TIMEOUT'] })));
  await time('first page (50), eventTypes [type.2], search "timeout"', () =>
    page(parseAttemptFilter({ eventTypes: ['type.2'], search: 'timeout' })),
  );
  await time(
    'no match at all, eventTypes [type.3], search "timeout" (walks the whole account)',
    () => page(parseAttemptFilter({ eventTypes: ['type.3'], search: 'timeout' })),
    3,
  );
  await time('first page (50), one webhook, FAILED', () => page(parseAttemptFilter({ webhookIds: ['wh00000042'], statuses: ['FAILED'] })));
  const deep = (await page(parseAttemptFilter({}), null))[0];
  const middle = { at: deep.createdAt.getTime() - 432_000_000, id: 'zzzz' };
  await time('page (50) after a cursor half-way back, FAILED 5xx', () => page(failed5xx, middle));
  await time('totalCount (capped at 10,000), FAILED 5xx', () => countAttempts(sql, ACCOUNT, failed5xx, 10_000), 10);
  await time('deliveries page (50), eventTypes [type.7]', () =>
    deliveryPage(sql, {
      accountId: ACCOUNT,
      filter: parseDeliveryFilter({ eventTypes: ['type.7'] }),
      ascending: false,
      beyond: null,
      limit: 51,
    }),
  );
}

const which = process.argv[2] ?? 'sqlite';
if (which === 'sqlite') {
  const path = join(mkdtempSync(join(tmpdir(), 'hookline-logbench-')), 'bench.db');
  const conn = new SqliteSql(openSqliteFile({ path }), null);
  migrateSqlite(conn);
  const t = performance.now();
  await fill(conn, false);
  conn.db.exec('ANALYZE');
  console.log(`filled in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await measure(conn, 'SQLite');
} else {
  const admin = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const name = `hookline_logbench_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const conn = new PgSql(createPgPool(`postgresql://postgres@127.0.0.1:5432/${name}`, 4), null);
  try {
    await migratePostgres(conn);
    const t = performance.now();
    await fill(conn, true);
    await conn.run('ANALYZE');
    console.log(`filled in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await measure(conn, 'PostgreSQL');
  } finally {
    await conn.pool.end();
    await admin.query(`DROP DATABASE ${name}`);
    await admin.end();
  }
}
