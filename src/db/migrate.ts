// Applies the checked-in migration SQL on the data layer's own connection,
// because the Prisma CLI cannot apply migrations over driver adapters here
// (see README, "Why Prisma 6"). Safe to run from several instances at once:
// the whole check-and-apply happens under a database lock.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider } from '../base/config.js';
import { projectRoot } from '../base/paths.js';
import type { PgSql } from './pg.js';
import type { SqliteSql } from './sqlite.js';

const LEDGER = '_hookline_migrations';
// Arbitrary constant shared by every instance for pg_advisory_xact_lock.
const PG_LOCK_ID = 74_203_311;
const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS ${LEDGER} (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`;
// One row the SQLite readiness check rewrites: reads keep answering from a
// file that can no longer be written, so readiness proves a commit (database.ts).
const HEALTH_DDL = 'CREATE TABLE IF NOT EXISTS _hookline_health (id INTEGER PRIMARY KEY, checked_at TEXT NOT NULL)';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function migrationsDir(provider: Provider): string {
  const root = join(projectRoot(), 'prisma');
  return provider === 'sqlite' ? join(root, 'migrations') : join(root, 'postgres', 'migrations');
}

export function loadMigrations(provider: Provider): Migration[] {
  const dir = migrationsDir(provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

function pending(all: Migration[], done: { name: string; checksum: string }[]): Migration[] {
  const applied = new Map(done.map((r) => [r.name, r.checksum]));
  for (const m of all) {
    const sum = applied.get(m.name);
    if (sum !== undefined && sum !== m.checksum)
      throw new Error(`Migration ${m.name} was changed after it was applied (checksum mismatch)`);
  }
  return all.filter((m) => !applied.has(m.name));
}

/** Applies pending migrations; returns the names applied. */
export function migrateSqlite(conn: SqliteSql): string[] {
  const all = loadMigrations('sqlite');
  conn.exec(LEDGER_DDL);
  conn.exec(HEALTH_DDL);
  // EXCLUSIVE: a second instance starting at the same moment waits here.
  conn.exec('BEGIN EXCLUSIVE');
  try {
    const todo = pending(all, conn.allSync(`SELECT name, checksum FROM ${LEDGER}`));
    for (const m of todo) {
      conn.exec(m.sql);
      conn.runSync(`INSERT INTO ${LEDGER} (name, checksum, applied_at) VALUES (?, ?, ?)`, [m.name, m.checksum, new Date().toISOString()]);
    }
    conn.exec('COMMIT');
    return todo.map((m) => m.name);
  } catch (err) {
    if (conn.db.inTransaction) conn.exec('ROLLBACK');
    throw err;
  }
}

export async function migratePostgres(conn: PgSql): Promise<string[]> {
  const all = loadMigrations('postgresql');
  const client = await conn.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${PG_LOCK_ID})`);
    // Under the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL.
    await client.query(LEDGER_DDL);
    const done = await client.query<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${LEDGER}`);
    const todo = pending(all, done.rows);
    for (const m of todo) {
      await client.query(m.sql);
      await client.query(`INSERT INTO ${LEDGER} (name, checksum, applied_at) VALUES ($1, $2, $3)`, [
        m.name,
        m.checksum,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
    return todo.map((m) => m.name);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
