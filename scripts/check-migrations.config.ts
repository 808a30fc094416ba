// Prisma CLI configuration used only by scripts/check-migrations.mjs, which
// runs `prisma migrate diff --from-migrations <dir> --to-schema-datamodel
// <schema>` for one provider at a time. That command replays the migration
// SQL on a "shadow" database obtained from the driver adapter below, reads
// the result back and compares it with the schema. Both adapters need a shim
// for that, with Prisma 6.19.3:
// - SQLite: the schema engine sends a whole migration.sql in one executeRaw
//   call, and better-sqlite3 prepares only one statement ("The supplied SQL
//   string contains more than one statement"): run argument-less statements
//   as a script instead. The shadow database is in memory.
// - PostgreSQL: reading the schema back returns `name` and `"char"` columns,
//   which @prisma/adapter-pg cannot map ("Column type 'name' could not be
//   deserialized", prisma/orm#27403); both arrive as strings, so they are
//   reported as text. The shadow database is the scratch database the check
//   script creates and drops (HOOKLINE_CHECK_PG_URL), never the adapter's
//   own connectToShadowDb(): given a connection string, that one connects to
//   the main database instead of the shadow database it creates.
// If a shim stops fitting a future version, the check fails with an error;
// the script's canary run makes sure a real difference is still reported.
import { defineConfig } from 'prisma/config';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';

type Adapter = Awaited<ReturnType<SqlMigrationAwareDriverAdapterFactory['connect']>>;

/** The SQLite adapter, with argument-less executeRaw run as a (multi-statement) script. */
function withScripts(adapter: Adapter): Adapter {
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'executeRaw') {
        return async (query: Parameters<Adapter['executeRaw']>[0]) => {
          if (query.args.length > 0) return target.executeRaw(query);
          await target.executeScript(query.sql);
          return 0;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const PG_NAME = 19;
const PG_CHAR = 18;
const PG_TEXT = 25;
interface PgResult {
  fields?: { dataTypeID: number }[];
}
type PerformIO = (this: unknown, query: unknown) => Promise<PgResult | PgResult[]>;

/** Reports `name` and `"char"` columns as text to @prisma/adapter-pg (on its query class, so transactions get it too). */
function withNameColumns(adapter: Adapter): Adapter {
  let proto: object | null = Object.getPrototypeOf(adapter);
  while (proto && !Object.hasOwn(proto, 'performIO')) proto = Object.getPrototypeOf(proto);
  if (!proto) throw new Error('check-migrations.config.ts: @prisma/adapter-pg has no performIO any more; update the shim');
  const owner = proto as { performIO: PerformIO; __hooklineShim?: true };
  if (!owner.__hooklineShim) {
    const performIO = owner.performIO;
    owner.performIO = async function (query) {
      const result = await performIO.call(this, query);
      for (const r of Array.isArray(result) ? result : [result]) {
        for (const f of r.fields ?? []) if (f.dataTypeID === PG_NAME || f.dataTypeID === PG_CHAR) f.dataTypeID = PG_TEXT;
      }
      return result;
    };
    owner.__hooklineShim = true;
  }
  return adapter;
}

function factory(): SqlMigrationAwareDriverAdapterFactory {
  const provider = process.env.HOOKLINE_CHECK_PROVIDER;
  if (provider === 'sqlite') {
    const sqlite = new PrismaBetterSQLite3({ url: ':memory:' });
    return {
      provider: sqlite.provider,
      adapterName: sqlite.adapterName,
      connect: () => sqlite.connect(),
      connectToShadowDb: async () => withScripts(await sqlite.connectToShadowDb()),
    };
  }
  if (provider === 'postgresql') {
    const url = process.env.HOOKLINE_CHECK_PG_URL;
    if (!url) throw new Error('check-migrations.config.ts: HOOKLINE_CHECK_PG_URL (a scratch database) is not set');
    // allowExitOnIdle: an idle pooled connection must not keep the CLI alive for pg's 10 s idle timeout.
    const pg = new PrismaPg({ connectionString: url, allowExitOnIdle: true });
    return {
      provider: pg.provider,
      adapterName: pg.adapterName,
      connect: async () => withNameColumns(await pg.connect()),
      connectToShadowDb: async () => withNameColumns(await pg.connect()),
    };
  }
  throw new Error(`check-migrations.config.ts: HOOKLINE_CHECK_PROVIDER must be sqlite or postgresql, not ${JSON.stringify(provider)}`);
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: '../prisma/schema.prisma',
  adapter: async () => factory(),
});
