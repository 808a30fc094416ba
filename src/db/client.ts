import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { config, type Config } from '../config.js';
import { PrismaClient as SqliteClient } from '../generated/prisma/client.js';
import { PrismaClient as PgClient } from '../generated/prisma-pg/client.js';

/**
 * Both generated clients have identical model types (the two schema files
 * differ only in provider), so the SQLite client's type stands for both.
 */
export type Db = InstanceType<typeof SqliteClient>;

/** The client or a transaction: anything that runs raw SQL. */
export type SqlRunner = Pick<Db, '$queryRawUnsafe' | '$executeRawUnsafe'>;

type QueryListener = (sql: string) => void;
const queryListeners = new Set<QueryListener>();

/** Observe every SQL statement Prisma sends; returns an unsubscribe function. */
export function onQuery(listener: QueryListener): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

export function sqliteAdapterFactory(cfg: Config) {
  const path = cfg.sqlitePath!;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // unixepoch-ms keeps timestamps as integers: compact, and cheap to compare
  // in the worker's raw claim SQL.
  return new PrismaBetterSQLite3({ url: path, timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' });
}

export function pgAdapterFactory(cfg: Config) {
  return new PrismaPg({ connectionString: cfg.databaseUrl, max: 20 });
}

function createClient(cfg: Config): Db {
  const log = [{ emit: 'event', level: 'query' }] as const;
  const client =
    cfg.provider === 'sqlite'
      ? new SqliteClient({ adapter: sqliteAdapterFactory(cfg), log: [...log] })
      : (new PgClient({ adapter: pgAdapterFactory(cfg), log: [...log] }) as unknown as Db);
  (client as unknown as { $on(e: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) => {
    for (const l of queryListeners) l(e.query);
  });
  return client as Db;
}

/** The process-wide Prisma client. */
export const prisma: Db = createClient(config());
export const provider = config().provider;

/** Per-connection settings that SQLite does not keep in the file. */
export async function prepareConnection(): Promise<void> {
  if (provider !== 'sqlite') return;
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  await prisma.$queryRawUnsafe('PRAGMA busy_timeout = 10000');
}
