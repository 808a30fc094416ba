// Generates the Prisma clients (one per provider) and the Pothos types.
// Runs on `npm install`, so a user never runs a separate generate step.
// prisma/schema.prisma is the one data model; the PostgreSQL schema is
// derived from it first (see postgres-schema.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { POSTGRES_SCHEMA, SOURCE_SCHEMA, writePostgresSchema } from './postgres-schema.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const prismaBin = `${root}node_modules/.bin/prisma`;
if (!existsSync(prismaBin)) {
  console.log('prisma CLI not installed yet; skipping generate');
  process.exit(0);
}
writePostgresSchema(root);
for (const schema of [SOURCE_SCHEMA, POSTGRES_SCHEMA]) {
  execFileSync(prismaBin, ['generate', '--schema', schema, '--no-hints'], {
    cwd: root,
    stdio: 'inherit',
    // Prisma runs the Pothos generator by its bin name.
    env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
  });
}
