// Applies the checked-in migration SQL through the driver adapter, because
// the Prisma CLI cannot apply migrations over driver adapters here (see
// README, "Why Prisma 6"). Safe to run from several instances at once: the
// whole check-and-apply happens under a database lock.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlDriverAdapter, SqlQueryable } from '@prisma/driver-adapter-utils';
import type { Config } from '../config.js';
import { ROOT } from '../paths.js';
import { pgAdapterFactory, sqliteAdapterFactory } from './client.js';

const LEDGER = '_hookline_migrations';
// Arbitrary constant shared by every instance for pg_advisory_xact_lock.
const PG_LOCK_ID = 74_203_311;

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function migrationsDir(provider: Config['provider']): string {
  const root = join(ROOT, 'prisma');
  return provider === 'sqlite' ? join(root, 'migrations') : join(root, 'postgres', 'migrations');
}

export function loadMigrations(provider: Config['provider']): Migration[] {
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

async function applied(q: SqlQueryable): Promise<Map<string, string>> {
  const res = await q.queryRaw({ sql: `SELECT name, checksum FROM ${LEDGER}`, args: [], argTypes: [] });
  return new Map(res.rows.map((r) => [String(r[0]), String(r[1])]));
}

function pending(all: Migration[], done: Map<string, string>): Migration[] {
  for (const m of all) {
    const sum = done.get(m.name);
    if (sum !== undefined && sum !== m.checksum) {
      throw new Error(`Migration ${m.name} was changed after it was applied (checksum mismatch)`);
    }
  }
  return all.filter((m) => !done.has(m.name));
}

const TEXT3 = Array.from({ length: 3 }, () => ({ scalarType: 'string' as const, arity: 'scalar' as const }));

const ledgerDdl = `CREATE TABLE IF NOT EXISTS ${LEDGER} (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`;

async function migrateSqlite(adapter: SqlDriverAdapter, all: Migration[]): Promise<string[]> {
  await adapter.executeScript('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;');
  await adapter.executeScript(ledgerDdl);
  // EXCLUSIVE: a second instance starting at the same moment waits here.
  await adapter.executeScript('BEGIN EXCLUSIVE');
  try {
    const todo = pending(all, await applied(adapter));
    for (const m of todo) {
      await adapter.executeScript(m.sql);
      await adapter.executeRaw({
        sql: `INSERT INTO ${LEDGER} (name, checksum, applied_at) VALUES (?, ?, ?)`,
        args: [m.name, m.checksum, new Date().toISOString()],
        argTypes: TEXT3,
      });
    }
    await adapter.executeScript('COMMIT');
    return todo.map((m) => m.name);
  } catch (err) {
    await adapter.executeScript('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function migratePg(adapter: SqlDriverAdapter, all: Migration[]): Promise<string[]> {
  const tx = await adapter.startTransaction();
  try {
    // executeRaw: the adapter cannot read the void this SELECT returns.
    await tx.executeRaw({ sql: `SELECT pg_advisory_xact_lock(${PG_LOCK_ID})`, args: [], argTypes: [] });
    // Under the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL.
    await tx.executeRaw({ sql: ledgerDdl, args: [], argTypes: [] });
    const todo = pending(all, await applied(tx));
    for (const m of todo) {
      // No bind values: pg sends it as a simple query, which may hold many statements.
      await tx.executeRaw({ sql: m.sql, args: [], argTypes: [] });
      await tx.executeRaw({
        sql: `INSERT INTO ${LEDGER} (name, checksum, applied_at) VALUES ($1, $2, $3)`,
        args: [m.name, m.checksum, new Date().toISOString()],
        argTypes: TEXT3,
      });
    }
    // The adapter's commit() only releases the connection; the statement commits.
    await tx.executeRaw({ sql: 'COMMIT', args: [], argTypes: [] });
    await tx.commit();
    return todo.map((m) => m.name);
  } catch (err) {
    await tx.executeRaw({ sql: 'ROLLBACK', args: [], argTypes: [] }).catch(() => undefined);
    await tx.rollback().catch(() => undefined);
    throw err;
  }
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(cfg: Config): Promise<string[]> {
  const all = loadMigrations(cfg.provider);
  const factory = cfg.provider === 'sqlite' ? sqliteAdapterFactory(cfg) : pgAdapterFactory(cfg);
  const adapter = await factory.connect();
  try {
    return cfg.provider === 'sqlite' ? await migrateSqlite(adapter, all) : await migratePg(adapter, all);
  } finally {
    await adapter.dispose();
  }
}
