// The schema files must match their sources:
// - schema.graphql (checked in) is the printed, lexicographically sorted live
//   schema; `npm run schema` rewrites it;
// - prisma/postgres/schema.prisma (generated, not in git) is derived from
//   prisma/schema.prisma by `npm run generate`.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { postgresSchema } from '../scripts/postgres-schema.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

let schema: GraphQLSchema;
before(async () => {
  // The schema modules read configuration on import; point it at a scratch
  // database so nothing touches ./data.
  const dataDir = mkdtempSync(join(tmpdir(), 'hookline-schema-'));
  Object.assign(process.env, {
    DATABASE_URL: `file:${join(dataDir, 'hookline.db')}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  });
  ({ schema } = await import('../src/schema/index.js'));
});

/** The first differing line of two texts, for a readable failure message. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `first difference at line ${i + 1}:\n  expected: ${JSON.stringify(a[i] ?? '<end of file>')}\n  found:    ${JSON.stringify(b[i] ?? '<end of file>')}`;
    }
  }
  return 'texts are identical';
}

test('schema.graphql is the printed, sorted live schema', () => {
  const live = printSchema(lexicographicSortSchema(schema)) + '\n';
  const file = read('schema.graphql');
  assert.ok(file === live, `schema.graphql is stale: run \`npm run schema\` and commit the result.\n${firstDifference(live, file)}`);
});

/** What follows the last generator/datasource block: the models and enums. */
function models(text: string): string {
  const blocks = [...text.matchAll(/^(generator|datasource)\s+\w+\s*\{[^}]*\}/gm)];
  const last = blocks.at(-1)!;
  return text.slice(last.index + last[0].length).trim();
}

test('the generated PostgreSQL schema has the models of prisma/schema.prisma, and only its blocks differ', () => {
  const source = read('prisma/schema.prisma');
  const pg = postgresSchema(source);
  assert.ok(/\bmodel\s+\w+/.test(models(source)), 'prisma/schema.prisma has no models');
  assert.equal(models(pg), models(source));
  assert.match(pg, /^\s*provider\s*=\s*"postgresql"/m);
  assert.match(pg, /^\s*output\s*=\s*"\.\.\/\.\.\/src\/generated\/prisma-pg"/m);
  assert.doesNotMatch(pg, /prisma-pothos-types|"sqlite"/);
  // The file `npm run generate` wrote is current, so the prisma-pg client was generated from it.
  assert.ok(
    read('prisma/postgres/schema.prisma') === pg,
    'prisma/postgres/schema.prisma is stale: run `npm run generate` (it is derived from prisma/schema.prisma)',
  );
});

test('the PostgreSQL schema generator refuses what it does not handle deliberately', () => {
  const source = read('prisma/schema.prisma');
  // A comment may mention @db.; an attribute may not.
  assert.doesNotThrow(() => postgresSchema(source.replace(/^(\s*lastError\s+String\?)$/m, '$1 // not @db.Text')));
  assert.throws(() => postgresSchema(source.replace(/^(\s*lastError\s+String\?)$/m, '$1 @db.Text')), /native type attributes/);
  assert.throws(() => postgresSchema(`${source}\ngenerator other {\n  provider = "x"\n}\n`), /expected exactly the blocks/);
  assert.throws(() => postgresSchema(source.replace('provider = "sqlite"', 'provider = "mysql"')), /provider = "sqlite"/);
});
