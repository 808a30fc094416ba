// `npm run schema`: rewrites schema.graphql from the code-first schema.
// (The PostgreSQL Prisma schema is not a checked-in copy any more:
// `npm run generate` derives it from prisma/schema.prisma.)
import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printSchema(schema) + '\n');
console.log('wrote schema.graphql');
