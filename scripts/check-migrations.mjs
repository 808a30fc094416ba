// `npm run check:migrations [-- sqlite|postgresql]`: fails when the checked-in
// migration SQL does not build exactly the data model in prisma/schema.prisma.
//
// For each provider, Prisma itself replays every migration.sql on an empty
// scratch database and compares the result with the schema:
//   prisma migrate diff --from-migrations <dir> --to-schema-datamodel <schema> --script --exit-code
// (offline, through the driver adapters in check-migrations.config.ts).
// SQLite replays into memory. PostgreSQL replays into a database this script
// creates on the server at PG_TEST_URL (default
// postgresql://postgres@127.0.0.1:5432/postgres) and drops afterwards; an
// unreachable server is an error, never a skip. The PostgreSQL schema is
// derived from prisma/schema.prisma here, as `npm run generate` does.
//
// On drift it prints, per provider, the SQL that the migrations are missing
// and exits 1. Each provider also runs once against the schema plus a canary
// model, which must come out as a difference: the check proves on every run
// that it can see drift.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { POSTGRES_MIGRATIONS, SOURCE_SCHEMA, postgresSchema } from './postgres-schema.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const prismaBin = join(root, 'node_modules/.bin/prisma');
const config = join(root, 'scripts/check-migrations.config.ts');
const ADMIN_URL = process.env.PG_TEST_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CANARY = 'HooklineMigrationCheckCanary';

const PROVIDERS = {
  sqlite: { label: 'SQLite', migrations: 'prisma/migrations', schema: (source) => source },
  postgresql: { label: 'PostgreSQL', migrations: POSTGRES_MIGRATIONS, schema: (source) => postgresSchema(source) },
};

/** Runs `prisma migrate diff`; resolves with its exit code and output. */
function migrateDiff(migrations, schemaFile, env) {
  const args = ['migrate', 'diff', '--config', config, '--from-migrations', migrations];
  args.push('--to-schema-datamodel', schemaFile, '--script', '--exit-code');
  return new Promise((resolve) => {
    execFile(prismaBin, args, { cwd: root, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, err });
    });
  });
}

/** A fresh, empty PostgreSQL database for one diff; drop() removes it. */
async function scratchDatabase() {
  const name = `hookline_migrations_check_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    throw new Error(`cannot create a scratch PostgreSQL database through ${ADMIN_URL} (set PG_TEST_URL): ${err.message}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** One diff for a provider, on its own scratch database. */
async function diff(provider, schemaFile) {
  const env = { HOOKLINE_CHECK_PROVIDER: provider };
  if (provider !== 'postgresql') return migrateDiff(PROVIDERS[provider].migrations, schemaFile, env);
  const db = await scratchDatabase();
  try {
    return await migrateDiff(PROVIDERS[provider].migrations, schemaFile, { ...env, HOOKLINE_CHECK_PG_URL: db.url });
  } finally {
    await db.drop();
  }
}

function failure(res) {
  return (res.stderr || res.stdout || String(res.err)).trim();
}

/** Checks one provider; returns an error message, or undefined when the migrations match. */
async function check(provider, tmp) {
  const { label, migrations, schema } = PROVIDERS[provider];
  const text = schema(readFileSync(join(root, SOURCE_SCHEMA), 'utf8'));
  const schemaFile = join(tmp, `${provider}.prisma`);
  const canaryFile = join(tmp, `${provider}-canary.prisma`);
  writeFileSync(schemaFile, text);
  writeFileSync(canaryFile, `${text}\nmodel ${CANARY} {\n  id String @id\n}\n`);

  const [real, canary] = await Promise.all([diff(provider, schemaFile), diff(provider, canaryFile)]);
  if (real.code === 2) {
    return (
      `${label}: the migrations in ${migrations}/ do not build the model in ${SOURCE_SCHEMA}.\n` +
      `Add a migration (${migrations}/<yyyymmddhhmmss>_<name>/migration.sql) with the SQL they are missing:\n\n` +
      `${real.stdout.trim()}\n`
    );
  }
  if (real.code !== 0) return `${label}: prisma migrate diff failed (exit ${real.code}):\n${failure(real)}`;
  if (canary.code !== 2 || !canary.stdout.includes(CANARY)) {
    return `${label}: the check did not notice a canary model added to the schema (exit ${canary.code}), so it cannot be trusted:\n${failure(canary)}`;
  }
  return undefined;
}

const wanted = process.argv.slice(2);
for (const p of wanted) {
  if (!(p in PROVIDERS)) {
    console.error(`usage: check-migrations.mjs [${Object.keys(PROVIDERS).join('|')}]...`);
    process.exit(64);
  }
}
const started = performance.now();
const tmp = mkdtempSync(join(tmpdir(), 'hookline-migrations-check-'));
let failed = 0;
try {
  const providers = wanted.length ? wanted : Object.keys(PROVIDERS);
  const results = await Promise.all(providers.map((p) => check(p, tmp).catch((err) => `${PROVIDERS[p].label}: ${err.message}`)));
  providers.forEach((p, i) => {
    if (results[i]) {
      failed++;
      console.error(`\nMIGRATION DRIFT CHECK FAILED: ${results[i]}`);
    } else {
      console.log(`${PROVIDERS[p].label}: ${PROVIDERS[p].migrations}/ builds exactly the model in ${SOURCE_SCHEMA}`);
    }
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(
  `check:migrations: ${failed ? `${failed} provider(s) failed` : 'ok'} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(failed ? 1 : 0);
