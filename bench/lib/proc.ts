// Child processes for the benchmark roles (receiver, load generator,
// subscribers, raw broadcaster), driven over Node's IPC channel with a tiny
// request/response protocol. Every call has a deadline, so a hung child
// fails the scenario instead of hanging the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { now } from './clock.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Handler = (params: any) => unknown;

interface Request {
  id: number;
  method: string;
  params: unknown;
}
interface Response {
  id: number;
  result?: unknown;
  error?: string;
}

/**
 * Child side: answer RPCs with these handlers. `clock` is built in.
 * `cleanup` runs (for at most 4 s, within Role.stop's 5 s) when the parent goes away without
 * calling a closing method first, e.g. to drop a queue the role created.
 */
export function serve(handlers: Record<string, Handler>, opts: { cleanup?: () => Promise<unknown> } = {}): void {
  const all: Record<string, Handler> = { clock: () => now(), ...handlers };
  const answer = async (msg: Request) => {
    let reply: Response;
    try {
      const h = all[msg.method];
      if (!h) throw new Error(`unknown method ${msg.method}`);
      reply = { id: msg.id, result: await h(msg.params) };
    } catch (err) {
      reply = { id: msg.id, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) };
    }
    process.send!(reply);
  };
  process.on('message', (msg: Request) => void answer(msg));
  // The parent going away (crash, Ctrl-C) must not leave orphans behind.
  process.on('disconnect', () => {
    if (!opts.cleanup) process.exit(0);
    setTimeout(() => process.exit(0), 4_000).unref();
    opts.cleanup().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

export class Role {
  private nextId = 1;
  private pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private out = '';
  /** This child's clock minus ours (ms); see calibrate(). */
  offset = 0;
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    children.add(child);
    const keep = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (m: Response) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`${this.name}: ${m.error}`));
      else p.resolve(m.result);
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        children.delete(child);
        for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited (${code ?? signal}):\n${this.out}`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  output(): string {
    return this.out;
  }

  call<T = any>(method: string, params: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}.${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, method, params } satisfies Request);
    });
  }

  /**
   * Estimates how far this child's clock is from ours: the sample with the
   * shortest IPC round trip bounds the error by half that round trip.
   */
  async calibrate(samples = 25): Promise<{ offset: number; errorBound: number }> {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < samples; i++) {
      const t1 = now();
      const tc = await this.call<number>('clock', {}, 5_000);
      const t2 = now();
      if (t2 - t1 < best.rtt) best = { rtt: t2 - t1, offset: tc - (t1 + t2) / 2 };
    }
    this.offset = best.offset;
    return { offset: best.offset, errorBound: best.rtt / 2 };
  }

  /** Converts a timestamp taken in this child to our clock. */
  toLocal(t: number): number {
    return t - this.offset;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.disconnect?.();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Starts bench/roles/<role>.ts in its own Node process (its own event loop, its own core if free). */
export async function startRole(role: string, env: Record<string, string> = {}): Promise<Role> {
  const child = spawn(process.execPath, ['--import', 'tsx', `bench/roles/${role}.ts`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const r = new Role(role, child);
  // First answer means the module loaded and serve() is listening.
  await r.call('clock', {}, 60_000);
  return r;
}
