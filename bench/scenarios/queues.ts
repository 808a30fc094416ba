// Scenario 1's queue baselines: what a team would build instead of Hookline,
// a worker on BullMQ (Redis) and one on graphile-worker (PostgreSQL), each
// fed 10 jobs per event by 8 publishers and sending to the same receiver
// (bench/roles/bullmq.ts, bench/roles/graphile.ts). Each runs in a process of
// its own, started once and measured in every repetition of scenario 1, next
// to Hookline's run of that repetition.
import { execFileSync } from 'node:child_process';
import { sleep } from '../lib/clock.js';
import type { Bench } from '../lib/context.js';
import { processCpuMicros, ProcessSetCpu } from '../lib/cpu.js';
import { startRole, type Role } from '../lib/proc.js';
import { createPgDatabase } from '../lib/server.js';
import { FANOUT } from './delivery.js';

export interface QueueBaseline {
  key: 'bullmq' | 'graphile';
  /** For the table: library and store. */
  label: string;
  role: Role | null;
  /** Why it is not available, when it is not. */
  error?: string;
  /** What it runs on (versions), for the detail lines. */
  about: string;
  /** Processes whose CPU counts as its store (redis-server; the database's PostgreSQL backends). */
  storeName: string;
  /** Failed attempts reported so far (the receiver always answers 200, so any is a fault). */
  failedSoFar: number;
  stop(): Promise<void>;
}

export interface QueueRun {
  rate: number;
  seconds: number;
  publishSeconds: number;
  /** CPU of the baseline's own process (publishers and worker), µs per delivery. */
  workerCpuUs: number;
  /** CPU of its store's processes, µs per delivery. */
  storeCpuUs: number;
}

const version = (pkg: string) => {
  try {
    return (execFileSync(process.execPath, ['-p', `require('${pkg}/package.json').version`], { encoding: 'utf8' }) as string).trim();
  } catch {
    return '?';
  }
};

/** Starts both baselines (each may be unavailable: no Redis, no PostgreSQL) and warms them up. */
export async function startQueueBaselines(b: Bench, receiverBase: string): Promise<QueueBaseline[]> {
  const out = await Promise.all([startBullmq(b, receiverBase), startGraphile(b, receiverBase)]);
  for (const q of out) {
    if (!q.role) continue;
    try {
      const warm = b.settings.s1WarmEvents;
      await queueThroughputOnce(b, q, warm);
      b.log(`${q.label} baseline ready (${q.about}); warmed up with ${warm} events`);
    } catch (err) {
      q.error = `warm-up failed: ${(err as Error).message.split('\n')[0]}`;
      await q.stop();
      q.role = null;
    }
  }
  return out;
}

async function startBullmq(b: Bench, receiverBase: string): Promise<QueueBaseline> {
  const q: QueueBaseline = {
    key: 'bullmq',
    label: 'BullMQ',
    role: null,
    about: `bullmq ${version('bullmq')}`,
    storeName: 'Redis',
    failedSoFar: 0,
    stop: async () => {
      if (!q.role) return;
      await q.role.call('close', {}, 20_000).catch(() => undefined);
      await q.role.stop();
    },
  };
  try {
    q.role = await startRole('bullmq');
    await q.role.calibrate();
    const info = await q.role.call<{ redisVersion: string; swept: number }>('start', { receiverBase }, 20_000);
    q.about += `, Redis ${info.redisVersion} on 127.0.0.1:6379`;
    if (info.swept) b.log(`BullMQ baseline: removed ${info.swept} queue(s) left by earlier runs`);
  } catch (err) {
    q.error = `not available (${(err as Error).message.split('\n')[0].slice(0, 160)})`;
    await q.role?.stop();
    q.role = null;
  }
  return q;
}

async function startGraphile(b: Bench, receiverBase: string): Promise<QueueBaseline> {
  const db = await createPgDatabase();
  const q: QueueBaseline = {
    key: 'graphile',
    label: 'graphile-worker',
    role: null,
    about: `graphile-worker ${version('graphile-worker')}`,
    storeName: 'PostgreSQL',
    failedSoFar: 0,
    stop: async () => {
      if (q.role) {
        await q.role.call('close', {}, 30_000).catch(() => undefined);
        await q.role.stop();
      }
      if (!('error' in db)) await dropOnce();
    },
  };
  if ('error' in db) {
    q.error = `not available (PostgreSQL: ${db.error})`;
    return q;
  }
  // Not vacuumed after its warm-up, unlike Hookline's database: measured on
  // this machine (5 runs each, deliveries/s), graphile-worker ran 4,588-5,037
  // without, 3,690-4,737 after a VACUUM (ANALYZE), 3,002-4,361 after a plain
  // VACUUM and 2,112-2,579 after an ANALYZE alone (the statistics of its
  // emptied jobs table seem to lead to a worse plan), so it is measured at
  // its best.
  // If the run dies before stop(), drop the database on the way out.
  let dropped = false;
  const name = new URL(db.url).pathname.slice(1);
  const dropSync = () => {
    if (dropped) return;
    dropped = true;
    try {
      execFileSync(
        'psql',
        ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-Atc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`],
        { timeout: 10_000, stdio: 'ignore' },
      );
    } catch {
      // best effort
    }
  };
  process.on('exit', dropSync);
  const dropOnce = async () => {
    if (dropped) return;
    dropped = true;
    process.off('exit', dropSync);
    await db.drop();
  };
  try {
    q.role = await startRole('graphile');
    await q.role.calibrate();
    const info = await q.role.call<{ postgresVersion: string }>('start', { receiverBase, connectionString: db.url }, 60_000);
    q.about += `, PostgreSQL ${info.postgresVersion} on 127.0.0.1:5432 (fresh database)`;
  } catch (err) {
    q.error = `not available (${(err as Error).message.split('\n')[0].slice(0, 160)})`;
    await q.stop();
    q.role = null;
  }
  return q;
}

/**
 * One repetition: `events` events (10 jobs each) from 8 publishers; the rate
 * is deliveries ÷ (first publish → last receipt), exactly as for Hookline.
 * CPU is read from /proc for the baseline's process and its store's
 * processes, from the first publish until the queue is empty again.
 */
export async function queueThroughputOnce(b: Bench, q: QueueBaseline, events: number): Promise<QueueRun> {
  const role = q.role!;
  const n = events * FANOUT;
  const limit = b.settings.quick ? 60_000 : 180_000;
  await b.receiver.call('reset');
  const storePids = await role.call<number[]>('storePids', {}, 10_000);
  const pid = role.child.pid!;
  const store = new ProcessSetCpu(storePids);
  const cpu0 = processCpuMicros(pid);
  const arrival = b.receiver.call('expect', { n, timeoutMs: limit }, limit + 10_000);
  arrival.catch(() => undefined); // awaited below; a failed publish is the better error
  const pub = await role.call('publish', { events, publishers: b.settings.s1Publishers }, limit + 10_000);
  if (pub.failed) throw new Error(`${q.label}: ${pub.failed} of ${events} publishes failed (${pub.firstError})`);
  const got = await arrival;
  if (!got.reached) throw new Error(`${q.label}: the receiver got ${got.count} of ${n} deliveries within ${limit / 1000} s`);
  const seconds = (b.receiver.toLocal(got.lastAt) - role.toLocal(pub.startAt)) / 1000;
  const drained = await role.call('drain', { timeoutMs: 20_000 }, 30_000);
  if (!drained.empty) throw new Error(`${q.label}: jobs still queued 20 s after the last delivery arrived`);
  if (drained.failedAttempts > q.failedSoFar) {
    const k = drained.failedAttempts - q.failedSoFar;
    q.failedSoFar = drained.failedAttempts;
    throw new Error(`${q.label}: ${k} delivery attempts failed (${drained.lastFailure})`);
  }
  await sleep(100);
  const cpu1 = processCpuMicros(pid);
  // Backends that appeared during the run count from zero.
  const storeUs = store.since([...storePids, ...(await role.call<number[]>('storePids', {}, 10_000))]);
  return {
    rate: n / seconds,
    seconds,
    publishSeconds: (pub.endAt - pub.startAt) / 1000,
    workerCpuUs: (cpu1 - cpu0) / n,
    storeCpuUs: storeUs / n,
  };
}
