// Opens the database an instance runs on: the stores' SQL connection (with
// its dialect), migrations, and the Prisma client that Pothos reads through.
import type { Bus } from '../base/bus.js';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/logger.js';
import type { AppEvents } from './events.js';
import { migratePostgres, migrateSqlite } from './migrate.js';
import { createPgPool, PgSql } from './pg.js';
import { createPrismaClient, type PrismaDb } from './prisma.js';
import type { Sql } from './sql.js';
import { openSqliteFile, SqliteSql } from './sqlite.js';
import { WriteGate } from './writeGate.js';
import { checkSqliteFile } from './sqliteFile.js';
import { describeSqliteFault, storageFault } from './errors.js';
import { keyFilePath } from '../base/secrets.js';
import { StartupError } from '../base/startup.js';

export interface Health {
  ok: boolean;
  /** What failed (the driver's words), when not ok. */
  error?: string;
  /** How long the check took. */
  latencyMs?: number;
}

/** Readiness probes within this long of each other share one check (each SQLite check is a small commit). */
const HEALTH_REUSE_MS = 1000;

export interface Database {
  sql: Sql;
  prisma: PrismaDb;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Hears the cache-invalidating changes other instances commit (PostgreSQL; SQLite has one instance). */
  listenForChanges(logger: Logger): Promise<void>;
  /**
   * Whether the database takes writes: on SQLite a one-row commit (reads
   * still answer from a file that can no longer be written), on PostgreSQL
   * a round trip.
   */
  health(): Promise<Health>;
  /** SQLite: the gate the delivery thread shares with this connection so that one thread writes at a time (see writeGate.ts). */
  readonly writeGate: WriteGate | null;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Sees every statement sent, raw or Prisma (tests count them). */
  onStatement?: ((sql: string) => void) | null;
}

export function openDatabase(cfg: Config, bus: Bus<AppEvents>, opts: OpenOptions = {}): Database {
  const onStatement = opts.onStatement ?? null;
  let sql: SqliteSql | PgSql;
  const writeGate = cfg.provider === 'sqlite' ? new WriteGate() : null;
  if (cfg.provider === 'sqlite') {
    const path = cfg.sqlitePath!;
    checkSqliteFile({ path, keyFile: keyFilePath(cfg.dataDir), initEmpty: cfg.initEmptyDatabase });
    try {
      sql = new SqliteSql(openSqliteFile({ path }), bus, onStatement, { groupCommit: true, gate: writeGate });
    } catch (err) {
      const said = describeSqliteFault(err, path);
      throw said ? new StartupError(said) : err;
    }
  } else {
    sql = new PgSql(createPgPool(cfg.databaseUrl, 20, 'hookline-api'), bus, onStatement);
  }
  let prisma: PrismaDb | null = null;
  let lastHealth: { at: number; result: Promise<Health> } | null = null;
  const conn = sql;
  return {
    sql: conn,
    writeGate,
    // Created on first use, after migrations: Prisma's SQLite connection opens the file when made.
    get prisma() {
      prisma ??= createPrismaClient(cfg, onStatement);
      return prisma;
    },
    async migrate() {
      if (!(conn instanceof SqliteSql)) return migratePostgres(conn);
      try {
        return migrateSqlite(conn);
      } catch (err) {
        // A damaged file often opens fine and fails on its first real read.
        const said = describeSqliteFault(err, cfg.sqlitePath!);
        throw said ? new StartupError(said) : err;
      }
    },
    async listenForChanges(logger) {
      if (conn instanceof PgSql) await conn.listenForChanges(cfg.databaseUrl, logger);
    },
    health() {
      const now = Date.now();
      if (lastHealth && now - lastHealth.at < HEALTH_REUSE_MS) return lastHealth.result;
      const result = checkHealth(conn);
      lastHealth = { at: now, result };
      return result;
    },
    async close() {
      await prisma?.$disconnect();
      await conn.close();
    },
  };
}

async function checkHealth(conn: SqliteSql | PgSql): Promise<Health> {
  const started = performance.now();
  const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    if (conn instanceof SqliteSql) {
      await conn.tx((tx) =>
        tx.run(
          'INSERT INTO _hookline_health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
          [new Date().toISOString()],
        ),
      );
    } else {
      await conn.get('SELECT 1 AS "ok"');
    }
    return { ok: true, latencyMs: latencyMs() };
  } catch (err) {
    return { ok: false, latencyMs: latencyMs(), error: storageFault(err) ?? String((err as Error)?.message ?? err).split('\n')[0] };
  }
}
