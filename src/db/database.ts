// Opens the database an instance runs on: the stores' SQL connection (with
// its dialect), migrations, and the Prisma client that Pothos reads through.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Bus } from '../base/bus.js';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents } from './events.js';
import { migratePostgres, migrateSqlite } from './migrate.js';
import { createPgPool, PgSql } from './pg.js';
import { createPrismaClient, type PrismaDb } from './prisma.js';
import type { Sql } from './sql.js';
import { openSqliteFile, SqliteSql } from './sqlite.js';

export interface Database {
  sql: Sql;
  prisma: PrismaDb;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Hears the cache-invalidating changes other instances commit (PostgreSQL; SQLite has one instance). */
  listenForChanges(logger: Logger): Promise<void>;
  /** True while the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Sees every statement sent, raw or Prisma (tests count them). */
  onStatement?: ((sql: string) => void) | null;
}

export function openDatabase(cfg: Config, bus: Bus<AppEvents>, opts: OpenOptions = {}): Database {
  const onStatement = opts.onStatement ?? null;
  let sql: SqliteSql | PgSql;
  if (cfg.provider === 'sqlite') {
    const path = cfg.sqlitePath!;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    sql = new SqliteSql(openSqliteFile({ path }), bus, onStatement, { groupCommit: true });
  } else {
    sql = new PgSql(createPgPool(cfg.databaseUrl, 20, 'hookline-api'), bus, onStatement);
  }
  let prisma: PrismaDb | null = null;
  const conn = sql;
  return {
    sql: conn,
    // Created on first use, after migrations: Prisma's SQLite connection opens the file when made.
    get prisma() {
      prisma ??= createPrismaClient(cfg, onStatement);
      return prisma;
    },
    async migrate() {
      return conn instanceof SqliteSql ? migrateSqlite(conn) : migratePostgres(conn);
    },
    async listenForChanges(logger) {
      if (conn instanceof PgSql) await conn.listenForChanges(cfg.databaseUrl, logger);
    },
    async ping() {
      try {
        await conn.get('SELECT 1 AS "ok"');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await prisma?.$disconnect();
      await conn.close();
    },
  };
}
