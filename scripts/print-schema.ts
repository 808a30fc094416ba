// `npm run schema`: rewrites schema.graphql from the code-first schema, and
// copies the models of prisma/schema.prisma (the source of the data model)
// into prisma/postgres/schema.prisma, keeping that file's own header,
// generator and datasource blocks.
import { readFileSync, writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.js';
import { syncedPostgresSchema } from './prisma-models.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printSchema(schema) + '\n');
console.log('wrote schema.graphql');

const sqliteUrl = new URL('../prisma/schema.prisma', import.meta.url);
const postgresUrl = new URL('../prisma/postgres/schema.prisma', import.meta.url);
const postgres = readFileSync(postgresUrl, 'utf8');
const synced = syncedPostgresSchema(readFileSync(sqliteUrl, 'utf8'), postgres);
if (synced !== postgres) {
  writeFileSync(postgresUrl, synced);
  console.log('updated prisma/postgres/schema.prisma from prisma/schema.prisma: run `npm run generate`, and add the PostgreSQL migration');
}
