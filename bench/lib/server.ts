// The Hookline server under test: `node --import tsx src/main.ts` in its own
// process (what `npm start` runs), on a fresh database, a free port on
// 127.0.0.1, and LOG_LEVEL=warn so logging does not dominate.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../../test/helpers/process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { ROOT } from './proc.js';
import { sleep } from './clock.js';

const run = promisify(execFile);

export const API_KEY = 'bench-bootstrap-key-0123456789abcdef';
// A fixed key keeps the server from generating one (and warning about it).
export const ENCRYPTION_KEY = 'a1'.repeat(32);

export interface ServerOptions {
  label: string;
  /** 'sqlite' (a temp file) or a postgresql:// URL. */
  database: 'sqlite' | string;
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the server to bench/results on exit. */
  profile?: boolean;
  readyWithinMs?: number;
}

export class HooklineServer {
  private out = '';
  /** Measured phases, for splitting this server's CPU profile by scenario. */
  readonly phases: { name: string; from: number; to: number }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    readonly databaseUrl: string,
  ) {
    const keep = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }
  get url() {
    return `${this.base}/graphql`;
  }
  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/graphql`;
  }
  output() {
    return this.out;
  }
  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The main thread's CPU profile (thread id 0), once the server has exited (profile mode only). */
  profilePath(): string | null {
    const dir = join(ROOT, 'bench/results');
    const mine = readdirSync(dir).filter((f) => f.startsWith('CPU.') && f.includes(`.${this.child.pid}.0.`) && f.endsWith('.cpuprofile'));
    return mine.length ? join(dir, mine.sort().pop()!) : null;
  }

  /** CPU profiles of the server's other threads (the delivery thread), once it has exited. */
  threadProfilePaths(): string[] {
    const dir = join(ROOT, 'bench/results');
    return readdirSync(dir)
      .filter(
        (f) =>
          f.startsWith('CPU.') && f.includes(`.${this.child.pid}.`) && !f.includes(`.${this.child.pid}.0.`) && f.endsWith('.cpuprofile'),
      )
      .sort()
      .map((f) => join(dir, f));
  }

  /** Resident set size now and its high-water mark since start, in MB (Linux /proc). */
  memory(): { rssMb: number; peakMb: number } {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  }

  /** SIGTERM (a graceful stop, so a CPU profile gets written), SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.alive) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export async function startServer(opts: ServerOptions): Promise<HooklineServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `hookline-bench-${opts.label}-`));
  const databaseUrl = opts.database === 'sqlite' ? `file:${join(dataDir, 'hookline.db')}` : opts.database;
  // What `npm start` runs: the esbuild bundle under plain node (bench/run.ts builds it first).
  const args = ['--enable-source-maps'];
  if (opts.profile) {
    args.push('--cpu-prof', '--cpu-prof-dir=bench/results');
  }
  args.push('dist/main.mjs');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      BOOTSTRAP_API_KEY: API_KEY,
      SECRET_ENCRYPTION_KEY: ENCRYPTION_KEY,
      ALLOW_PRIVATE_TARGETS: 'true',
      LOG_LEVEL: 'warn',
      GRAPHIQL: 'false',
      // Scenario 5 opens up to 1,000 graphql-ws connections with one key.
      MAX_STREAMS_PER_KEY: '100000',
      MAX_STREAMS_PER_ACCOUNT: '100000',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const server = new HooklineServer(opts.label, child, port, dataDir, databaseUrl);
  const deadline = Date.now() + (opts.readyWithinMs ?? 60_000);
  for (;;) {
    if (!server.alive) {
      await server.exited;
      throw new Error(`server exited during start-up: ${lastLines(server.output())}`);
    }
    try {
      const res = await request(`${server.base}/readyz`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
      await res.body.text();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`server not ready within ${opts.readyWithinMs ?? 60_000} ms: ${lastLines(server.output())}`);
    }
    await sleep(100);
  }
  return server;
}

/**
 * A new account on the server's database, made the way an operator makes one
 * (README "Create an account": the admin CLI, here its dist bundle), with its
 * admin associate's API key. The server keeps running; the CLI opens the same
 * database alongside it.
 */
export async function createAccount(server: HooklineServer, name: string): Promise<{ accountId: string; apiKey: string }> {
  const { stdout } = await run(process.execPath, ['dist/admin.mjs', 'create-account', name], {
    cwd: ROOT,
    timeout: 30_000,
    env: {
      ...process.env,
      DATABASE_URL: server.databaseUrl,
      DATA_DIR: server.dataDir,
      SECRET_ENCRYPTION_KEY: ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
    },
  });
  const created = JSON.parse(stdout.trim().split('\n').pop()!) as { accountId: string; apiKey: string };
  if (!created.apiKey) throw new Error(`create-account ${name} printed no API key: ${stdout.slice(0, 200)}`);
  return created;
}

export function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 600) || '(no output)';
}

/**
 * A fresh PostgreSQL database on the local server, or the reason there is
 * none. Dropped again by the returned drop().
 */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> } | { error: string }> {
  const name = `hookline_bench_${process.pid}_${Date.now().toString(36)}`;
  const psql = (sql: string) =>
    run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { timeout: 20_000 });
  try {
    await psql(`CREATE DATABASE ${name}`);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { error: (e.stderr || e.message).trim().split('\n')[0] };
  }
  return {
    url: `postgresql://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      await psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    },
  };
}

/**
 * `VACUUM (ANALYZE)` of a scratch database, once a warm-up has written to it.
 * This machine's PostgreSQL runs with autovacuum off (its CI configuration);
 * a production server would have vacuumed tables that the warm-up rewrote
 * many times over, and without it every later statement walks the dead
 * row versions and index entries the warm-up left. Done for Hookline's
 * database; graphile-worker measured faster without it (bench/scenarios/queues.ts).
 */
export async function vacuumDatabase(url: string): Promise<void> {
  await run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-Atc', 'VACUUM (ANALYZE)'], { timeout: 120_000 });
}
