// The Prisma client behind Pothos's prisma plugin. It reads; every write goes
// through the stores' SQL, on the data layer's own connection (see sqlite.ts
// for why that matters on SQLite).
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Config } from '../base/config.js';
import { PrismaClient as SqliteClient } from '../generated/prisma/client.js';
import { PrismaClient as PgClient } from '../generated/prisma-pg/client.js';

/**
 * Both generated clients have identical model types (the two schema files
 * differ only in provider), so the SQLite client's type stands for both.
 */
export type PrismaDb = InstanceType<typeof SqliteClient>;

export function createPrismaClient(cfg: Config, onQuery: ((sql: string) => void) | null): PrismaDb {
  const log = onQuery ? [{ emit: 'event' as const, level: 'query' as const }] : [];
  const client =
    cfg.provider === 'sqlite'
      ? // unixepoch-ms keeps timestamps as integers: compact, cheap to compare, and what the stores write.
        new SqliteClient({
          adapter: new PrismaBetterSQLite3({ url: cfg.sqlitePath!, timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' }),
          log,
        })
      : (new PgClient({ adapter: new PrismaPg({ connectionString: cfg.databaseUrl, max: 5 }), log }) as unknown as PrismaDb);
  if (onQuery) (client as unknown as { $on(e: 'query', cb: (e: { query: string }) => void): void }).$on('query', (e) => onQuery(e.query));
  return client;
}
