// Starts one Hookline instance inside the test process, on a fresh database
// and a random port. node --test runs each test file in its own process, so
// each file gets its own configuration and database.
//
// The database is a fresh SQLite file, or, when HOOKLINE_TEST_DB=postgres
// (the second pass of `npm test`), a fresh PostgreSQL database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase } from './postgres.js';

export const BOOTSTRAP_KEY = 'test-bootstrap-key-0123456789';
export const ON_POSTGRES = process.env.HOOKLINE_TEST_DB === 'postgres';

export interface TestApp {
  url: string;
  dataDir: string;
  /** The SQLite file, or null on PostgreSQL. */
  dbPath: string | null;
  stop(): Promise<void>;
}

/**
 * Sets the environment, then imports the app. Call once per test file,
 * before importing anything from src/ (config is read once per process).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookline-test-'));
  const pg = ON_POSTGRES ? await freshDatabase() : null;
  const dbPath = pg ? null : join(dataDir, 'hookline.db');
  Object.assign(process.env, {
    DATABASE_URL: pg ? pg.url : `file:${dbPath}`,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BOOTSTRAP_API_KEY: BOOTSTRAP_KEY,
    RETRY_SCHEDULE: '0.05,0.05',
    WORKER_POLL_MS: '20',
    ...env,
  });
  const { startApp } = await import('../../src/app.js');
  const app = await startApp();
  return {
    url: app.url.replace('localhost', '127.0.0.1'),
    dataDir,
    dbPath,
    async stop() {
      await app.stop();
      await pg?.drop();
    },
  };
}
