// Runs Hookline as a real child process (what `npm start` runs), for tests
// that need to kill it, restart it, or run several instances.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Every server this test process started. A failing before() hook can leave
// one running with no variable pointing at it; none may outlive the tests.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port that was free a moment ago: listen on 0, read it, close. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * The first whole JSON log line of `out` that includes `marker`, parsed; null
 * until one has been written (a chunk of output can end inside a line).
 */
export function loggedLine(out: string, marker: string): Record<string, any> | null {
  const line = out
    .split('\n')
    .slice(0, -1)
    .find((l) => l.includes(marker));
  return line ? JSON.parse(line) : null;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  base: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Start-up refused because another process took the port between freePort() and the server's listen. */
class PortTaken extends Error {}

/**
 * Starts `node dist/main.mjs` (what `npm start` runs) and waits until /readyz
 * answers 200. The port is found free and then handed to the server, so
 * another test process (the other database's pass runs side by side) can take
 * it in between: that start-up is retried on a new port, a few times.
 */
export async function spawnServer(env: Record<string, string>, readyWithinMs = 60_000): Promise<ServerProcess> {
  for (let tries = 1; ; tries++) {
    try {
      return await spawnOnPort(env, readyWithinMs, await freePort());
    } catch (err) {
      if (!(err instanceof PortTaken) || tries >= 5) throw err;
    }
  }
}

async function spawnOnPort(env: Record<string, string>, readyWithinMs: number, port: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.mjs'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null) {
      if (out.includes(`cannot listen on 127.0.0.1:${port}: the address is already in use`)) throw new PortTaken(out);
      throw new Error(`server exited during start-up:\n${out}`);
    }
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within ${readyWithinMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    base,
    url: `${base}/graphql`,
    output: () => out,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
