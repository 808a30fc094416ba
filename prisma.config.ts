// Prisma CLI configuration. Driver-adapter mode keeps every CLI step on the
// WebAssembly engines shipped in the npm packages (see README, "Why Prisma 6").
import { mkdirSync } from 'node:fs';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  adapter: async () => {
    // Commands such as `migrate diff` open this file even when they only
    // compare schema files; on a fresh clone data/ does not exist yet.
    mkdirSync('data', { recursive: true });
    return new PrismaBetterSQLite3({ url: 'file:./data/prisma-cli.db' });
  },
});
