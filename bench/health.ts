// Health over time (issue 9; scenario 9 of `npm run bench`): the rollups of
// 1,000,000 attempts spread over 24 hours (10 accounts of 50 webhooks each;
// the measured account has half of the attempts), written
// through the recorder's own rollup code (rollupIncrements + addToRollups),
// then the 24-hour dashboard in 5-minute buckets, account-wide and for one
// webhook, timed through the service the API calls (healthSeries). Also the
// recorder's added cost per 64-attempt batch.
//
// On its own:
//   npx tsx bench/health.ts sqlite|postgresql [attempts]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgDatabase } from './lib/server.js';
import { createApp } from '../src/app/app.js';
import { loadConfig } from '../src/base/config.js';
import { ManualClock } from '../src/base/clock.js';
import { addToRollups } from '../src/db/stores/rollups.js';
import { rollupIncrements, type AttemptForRollup } from '../src/dispatch/health.js';
import { healthSeries } from '../src/domain/health/service.js';

type Provider = 'sqlite' | 'postgresql';
const ACCOUNTS = 10;
const WEBHOOKS = 50;
const ERRORS = ['TIMEOUT', 'CONNECTION_REFUSED', 'HTTP_ERROR', 'HTTP_ERROR', 'DNS'];

async function database(provider: Provider): Promise<{ url: string; drop(): Promise<void> }> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hookline-health-bench-'));
    return { url: `file:${join(dir, 'bench.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const db = await createPgDatabase();
  if ('error' in db) throw new Error(`PostgreSQL: ${db.error}`);
  return db;
}

/** A deterministic pseudo-random attempt: account 0 gets half the traffic. */
function attempt(i: number, now: number, total: number): AttemptForRollup {
  const r = (Math.imul(i, 2654435761) >>> 0) / 2 ** 32;
  const account = r < 0.5 ? 0 : 1 + (i % (ACCOUNTS - 1));
  const failed = (r * 97) % 1 < 0.08;
  const status = failed && i % 3 ? 500 + (i % 4) : failed ? null : 200;
  return {
    accountId: `acct${account}`,
    webhookId: `wh${account}_${i % WEBHOOKS}`,
    status: failed ? 'FAILED' : 'SUCCEEDED',
    responseStatus: status,
    errorClass: failed ? (status ? 'HTTP_ERROR' : ERRORS[i % ERRORS.length]) : null,
    durationMs: Math.round(20 + ((r * 7919) % 1) ** 3 * 2000),
    createdAt: new Date(now - 86_400_000 + Math.floor((i / total) * 86_400_000)),
  };
}

const percentileOf = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1];

export interface HealthResult {
  provider: Provider;
  attempts: number;
  rollupRows: number;
  fillSeconds: number;
  recorderRollupMsPer64: { p50: number; p95: number };
  dashboard24h5mAccountMs: { attempts: number; p50: number; p95: number; max: number };
  dashboard24h5mWebhookMs: { attempts: number; p50: number; p95: number; max: number };
  week1hAccountP50Ms: number;
}

export async function measureHealth(provider: Provider, TOTAL: number): Promise<HealthResult> {
  const db = await database(provider);
  const clock = new ManualClock();
  const app = await createApp(loadConfig({ DATABASE_URL: db.url, DATA_DIR: mkdtempSync(join(tmpdir(), 'hb-')), LOG_LEVEL: 'silent' }), {
    clock,
  });
  const { sql } = app.state;
  const now = clock.now().getTime();
  try {
    // Fill: as the recorder would, but 2,000 attempts per statement (the resulting rows are the same).
    let t0 = performance.now();
    for (let i = 0; i < TOTAL; i += 2000) {
      const batch: AttemptForRollup[] = [];
      for (let j = i; j < Math.min(TOTAL, i + 2000); j++) batch.push(attempt(j, now, TOTAL));
      await sql.tx((tx) => addToRollups(tx, rollupIncrements(batch)));
    }
    const fillS = (performance.now() - t0) / 1000;
    const rows = Number((await sql.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "AttemptRollup"`))!.n);

    // The recorder's added cost: one 64-attempt batch's rollup statement, in its own transaction.
    const recorder: number[] = [];
    for (let k = 0; k < 200; k++) {
      const batch = Array.from({ length: 64 }, (_, j) => attempt(TOTAL + k * 64 + j, now, TOTAL));
      t0 = performance.now();
      await sql.tx((tx) => addToRollups(tx, rollupIncrements(batch)));
      recorder.push(performance.now() - t0);
    }

    const measure = async (webhookId: string | null) => {
      const times: number[] = [];
      let attempts = 0;
      for (let k = 0; k < 60; k++) {
        t0 = performance.now();
        const s = await healthSeries(app.state, 'acct0', webhookId, '24h', '5m');
        times.push(performance.now() - t0);
        attempts = s.buckets.reduce((n, b) => n + b.attempts, 0);
      }
      const warm = times.slice(10);
      return {
        attempts,
        p50: percentileOf(warm, 0.5),
        p95: percentileOf(warm, 0.95),
        max: Math.max(...warm),
      };
    };
    const account = await measure(null);
    const webhook = await measure('wh0_7');
    const week = await (async () => {
      const times: number[] = [];
      for (let k = 0; k < 30; k++) {
        t0 = performance.now();
        await healthSeries(app.state, 'acct0', null, '7d', '1h');
        times.push(performance.now() - t0);
      }
      return percentileOf(times.slice(5), 0.5);
    })();
    return {
      provider,
      attempts: TOTAL,
      rollupRows: rows,
      fillSeconds: fillS,
      recorderRollupMsPer64: { p50: percentileOf(recorder, 0.5), p95: percentileOf(recorder, 0.95) },
      dashboard24h5mAccountMs: account,
      dashboard24h5mWebhookMs: webhook,
      week1hAccountP50Ms: week,
    };
  } finally {
    await app.stop();
    await db.drop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await measureHealth(process.argv[2] === 'postgresql' ? 'postgresql' : 'sqlite', Number(process.argv[3] ?? 1_000_000));
  console.log(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v), 2));
}
