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
import type { RunningApp } from '../../src/app/app.js';
import type { ClaimRequest } from '../../src/db/stores/deliveries.js';
import type { Webhook } from '../../src/db/stores/webhooks.js';
import type { ManualClock } from '../../src/base/clock.js';

export const BOOTSTRAP_KEY = 'test-bootstrap-key-0123456789';
export const ON_POSTGRES = process.env.HOOKLINE_TEST_DB === 'postgres';

export interface TestApp {
  url: string;
  dataDir: string;
  /** The SQLite file, or null on PostgreSQL. */
  dbPath: string | null;
  running: RunningApp;
  stop(): Promise<void>;
}

let current: RunningApp | null = null;
let clock: ManualClock | null = null;
const statementListeners = new Set<(sql: string) => void>();

/** The settings a test instance runs with: a fresh database and data directory, a random port, short retries. */
export async function testEnv(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookline-test-'));
  const pg = ON_POSTGRES ? await freshDatabase() : null;
  const dbPath = pg ? null : join(dataDir, 'hookline.db');
  const vars: Record<string, string> = {
    DATABASE_URL: pg ? pg.url : `file:${dbPath}`,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BOOTSTRAP_API_KEY: BOOTSTRAP_KEY,
    RETRY_SCHEDULE: '0.05,0.05',
    WORKER_POLL_MS: '20',
    ...env,
  };
  return { vars, dataDir, dbPath, pg };
}

/** Starts an instance in this process through the composition root. Call once per test file. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const { vars, dataDir, dbPath, pg } = await testEnv(env);
  const { startApp } = await import('../../src/app/app.js');
  const { loadConfig } = await import('../../src/base/config.js');
  const { ManualClock } = await import('../../src/base/clock.js');
  clock = new ManualClock();
  const running = await startApp(loadConfig(vars), {
    clock,
    onStatement: (sql) => {
      for (const l of statementListeners) l(sql);
    },
  });
  current = running;
  return {
    url: running.url.replace('localhost', '127.0.0.1'),
    dataDir,
    dbPath,
    running,
    async stop() {
      await running.stop();
      await pg?.drop();
    },
  };
}

function app(): RunningApp {
  if (!current) throw new Error('startTestApp() first');
  return current;
}

/** The instance's clock: tests move time with it instead of rewriting rows (the delivery thread follows). */
export function testClock(): ManualClock {
  if (!clock) throw new Error('startTestApp() first');
  return clock;
}

/** The running instance's database: Prisma (for fixtures and checks) and the stores' SQL connection. */
export function testDb() {
  const { state } = app();
  return { prisma: state.db.prisma, sql: state.sql, state };
}

/** Observe every SQL statement the instance sends; returns an unsubscribe function. */
export function onQuery(listener: (sql: string) => void): () => void {
  statementListeners.add(listener);
  return () => statementListeners.delete(listener);
}

/** The secrets a delivery to this webhook is signed with at `now`. */
export function signingSecrets(row: Webhook, now = new Date()): string[] {
  return app().state.sender.signingSecrets(row, now);
}

/** One retention pass as if it ran at `now`. */
export async function pruneOnce(now: Date) {
  const { pruneOnce: prune } = await import('../../src/dispatch/retention.js');
  const { state } = app();
  return prune({ sql: state.sql, logger: state.logger, clock: { now: () => now }, retentionDays: state.config.attemptRetentionDays });
}

/** One claim by the named owner at `now`. */
export async function claimDue(req: ClaimRequest, now: Date) {
  const { claimDue: claim } = await import('../../src/db/stores/deliveries.js');
  return claim(app().state.sql, req, now);
}

/** One claim by primary key (the delivery thread's hinted claim) by the named owner at `now`. */
export async function claimByIds(req: { owner: string; leaseMs: number; ids: string[] }, now: Date) {
  const { claimByIds: claim } = await import('../../src/db/stores/deliveries.js');
  return claim(app().state.sql, req, now);
}

/** Creates a second tenant through the admin service, returning its admin key. */
export async function createAccount(name: string) {
  const { createAccount: create } = await import('../../src/domain/accounts/accounts.js');
  return create(app().state, name);
}
