// The checked-in schema files must match their sources:
// - schema.graphql is the printed, lexicographically sorted live schema;
// - prisma/postgres/schema.prisma has exactly the models of prisma/schema.prisma.
// `npm run schema` rewrites both; this test fails when either is stale.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { modelsOnly, syncedPostgresSchema } from '../scripts/prisma-models.js';

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
  assert.ok(
    file === live,
    `schema.graphql is stale: run \`npm run schema\` and commit the result.\n${firstDifference(live, file)}`,
  );
});

test('prisma/schema.prisma and prisma/postgres/schema.prisma have identical models', () => {
  const sqlite = modelsOnly(read('prisma/schema.prisma'));
  const postgres = modelsOnly(read('prisma/postgres/schema.prisma'));
  assert.ok(sqlite.length > 0 && /\bmodel\s+\w+/.test(sqlite), 'prisma/schema.prisma has no models');
  assert.ok(
    sqlite === postgres,
    'prisma/postgres/schema.prisma must have exactly the models and enums of prisma/schema.prisma ' +
      '(only generator/datasource blocks and leading comments may differ): run `npm run schema` to copy ' +
      'them across from prisma/schema.prisma, then `npm run generate`, and add the PostgreSQL migration.\n' +
      firstDifference(sqlite, postgres),
  );
});

test('the model comparison notices a changed field and ignores provider blocks', () => {
  const base = '// a\n\ngenerator client {\n  provider = "x"\n}\n\ndatasource db {\n  provider = "sqlite"\n}\n\nmodel A {\n  id String @id\n}\n';
  const otherProvider = base.replace('// a', '// b\n// c').replace('"sqlite"', '"postgresql"');
  assert.equal(modelsOnly(base), modelsOnly(otherProvider));
  assert.notEqual(modelsOnly(base), modelsOnly(base.replace('id String', 'id Int')));
  // What `npm run schema` writes passes the comparison and keeps the PostgreSQL header.
  const drifted = otherProvider.replace('id String', 'id Int');
  const synced = syncedPostgresSchema(base, drifted);
  assert.equal(modelsOnly(synced), modelsOnly(base));
  assert.match(synced, /^\/\/ b\n\/\/ c\n/);
  assert.match(synced, /provider = "postgresql"/);
});
