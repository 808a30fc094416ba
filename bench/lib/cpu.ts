// CPU time of other processes, from Linux /proc: utime + stime of
// /proc/<pid>/stat, which the kernel keeps for the whole thread group, so
// every thread of the process counts (V8's compiler and GC threads, libuv's
// pool, exited threads too). Resolution is one clock tick (usually 10 ms).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sleep } from './clock.js';

let ticksPerSecond = 0;
function clockTicks(): number {
  if (!ticksPerSecond) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time of process `pid` (all its threads) in microseconds, or NaN if it is gone. */
export function processCpuMicros(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  // The command name (field 2) may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field 3 (state) is fields[0], so utime (14) and stime (15) are fields[11] and fields[12].
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / clockTicks();
}

/**
 * Waits until process `pid` is (nearly) idle again, so work that finishes
 * after the last delivery arrives (recording the last attempts) is counted:
 * two consecutive 100 ms windows with at most one clock tick each. At most
 * `maxMs`; returns the CPU time reading at that point.
 */
export async function cpuWhenSettled(pid: number, maxMs = 5_000): Promise<number> {
  const tick = 1e6 / clockTicks();
  const deadline = Date.now() + maxMs;
  let last = processCpuMicros(pid);
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await sleep(100);
    const now = processCpuMicros(pid);
    quiet = now - last <= tick ? quiet + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * PIDs of the PostgreSQL backends connected to the database of `url` (read
 * through a connection to the server's `postgres` database, which is not
 * among them). Empty when PostgreSQL does not answer within 5 s.
 */
export async function pgBackendPids(url: string): Promise<number[]> {
  const { default: pg } = await import('pg');
  const u = new URL(url);
  const dbName = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5_000, statement_timeout: 5_000 });
  try {
    await client.connect();
    const r = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
    return r.rows.map((x) => x.pid);
  } catch {
    return [];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CPU of a set of processes that may change while it is measured (connection pools). */
export class ProcessSetCpu {
  private readonly start = new Map<number, number>();
  constructor(pids: number[]) {
    for (const p of pids) this.start.set(p, processCpuMicros(p));
  }
  /** CPU used since construction by the processes in `pids`; ones that started since count from zero, ones that ended are lost. */
  since(pids: number[]): number {
    let total = 0;
    for (const p of new Set(pids)) {
      const c = processCpuMicros(p);
      if (Number.isFinite(c)) total += c - (this.start.get(p) ?? 0);
    }
    return total;
  }
}
