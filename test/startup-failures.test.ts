// Start-up and dependency failures a new user meets, with the real bundle
// (`node dist/main.mjs`, what `npm start` runs): each start-up failure is
// exactly one line on stderr, `hookline: …`, naming the cause and what it
// concerns (the address, the file, the database), exit code 1, no stack
// trace, and nothing changed on disk. And two faults of a running server:
// SQLite data that can no longer be written, and a Redis that is not there.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { freePort, ROOT, spawnServer, type ServerProcess } from './helpers/process.js';
import { startRedis } from './helpers/redis.js';
import { waitUntil } from './helpers/wait.js';

const PG_ADMIN = process.env.PG_TEST_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const BOOTSTRAP = 'startup-failures-key-0123456789';
const EXIT_WITHIN_MS = 30_000;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'hookline-startup-'));
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundle until it exits (it must, within EXIT_WITHIN_MS). */
async function runToExit(env: Record<string, string>): Promise<Exit> {
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.mjs'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', BOOTSTRAP_API_KEY: '', SECRET_ENCRYPTION_KEY: '', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Exit 1, one line `hookline: …` on stderr matching every pattern, no stack trace, only JSON on stdout. */
function assertOneLineFailure(out: Exit, ...patterns: RegExp[]) {
  const shown = `exit ${out.code}\nstderr:\n${out.stderr}\nstdout:\n${out.stdout}`;
  assert.equal(out.code, 1, shown);
  const lines = out.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `expected exactly one line on stderr:\n${shown}`);
  assert.match(lines[0], /^hookline: /, shown);
  for (const p of patterns) assert.match(lines[0], p, shown);
  assert.doesNotMatch(out.stderr, /^\s+at\s/m, shown);
  for (const line of out.stdout.split('\n').filter((l) => l.trim())) JSON.parse(line);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sqliteEnv = (dir: string, file = 'hookline.db') => ({ DATA_DIR: dir, DATABASE_URL: `file:${join(dir, file)}` });

// ---------------------------------------------------------------- address

test('a port already in use: one line naming the address, before migrations touch anything', async () => {
  const holder: Server = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const dir = freshDir();
  const out = await runToExit({ ...sqliteEnv(dir), PORT: String(port) });
  assertOneLineFailure(out, new RegExp(`127\\.0\\.0\\.1:${port}`), /already in use/);
  assert.deepEqual(readdirSync(dir), [], 'no database or key was created');
});

test('a HOST that does not resolve: one line naming HOST, nothing created', async () => {
  const dir = freshDir();
  const out = await runToExit({ ...sqliteEnv(dir), HOST: 'no-such-host.invalid' });
  assertOneLineFailure(out, /no-such-host\.invalid/, /does not resolve/);
  assert.deepEqual(readdirSync(dir), []);
});

// ---------------------------------------------------------------- PostgreSQL

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function pgUrl(user: string, database: string): string {
  const u = new URL(PG_ADMIN);
  u.username = user;
  u.pathname = `/${database}`;
  return u.toString();
}

test('a PostgreSQL database that does not exist is created when the role may create databases', async () => {
  const name = `hookline_startup_${randomBytes(4).toString('hex')}`;
  cleanups.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined));
  const user = new URL(PG_ADMIN).username || 'postgres';
  const server = await spawnServer({ DATABASE_URL: pgUrl(user, name), DATA_DIR: freshDir(), LOG_LEVEL: 'info' });
  cleanups.push(() => server.kill());
  const exists = await admin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]));
  assert.equal(exists.rowCount, 1);
  assert.match(server.output(), new RegExp(`"database":"${name}".*created it`));
  await server.kill();
});

test('a PostgreSQL database that does not exist, and a role that may not create it: one line with the name and the command', async () => {
  const role = `hookline_nocreate_${randomBytes(3).toString('hex')}`;
  const name = `hookline_missing_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE ROLE ${role} LOGIN NOCREATEDB`));
  cleanups.push(() => admin((c) => c.query(`DROP ROLE IF EXISTS ${role}`)).then(() => undefined));
  const out = await runToExit({ DATABASE_URL: pgUrl(role, name), DATA_DIR: freshDir() });
  assertOneLineFailure(out, new RegExp(`"${name}" does not exist`), /permission denied/, new RegExp(`createdb .*-O ${role} ${name}`));
});

// ---------------------------------------------------------------- SQLite files

/**
 * Makes a path unwritable even for root (the tests run as root, which
 * ignores permission bits): the immutable attribute (chattr +i), which the
 * kernel enforces for every user. As another user, chmod does it.
 */
function makeReadOnly(...paths: string[]): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', ...paths]);
    const undo = () => void execFileSync('chattr', ['-i', ...paths]);
    cleanups.push(undo);
    return undo;
  }
  const modes = paths.map((p) => statSync(p).mode);
  for (const p of paths) chmodSync(p, 0o555);
  const undo = () => paths.forEach((p, i) => chmodSync(p, modes[i]));
  cleanups.push(undo);
  return undo;
}

test('a read-only data directory: one line naming the directory and the cause', async () => {
  const dir = freshDir();
  makeReadOnly(dir);
  const out = await runToExit(sqliteEnv(dir));
  assertOneLineFailure(
    out,
    new RegExp(escape(join(dir, 'hookline.db'))),
    new RegExp(`directory ${escape(dir)} is not writable`),
    /EPERM|EACCES/,
  );
});

test('an empty (0-byte) database file next to an existing key file is refused, unless INIT_EMPTY_DATABASE=true', async () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'secret-encryption.key'), randomBytes(32).toString('hex') + '\n');
  writeFileSync(join(dir, 'hookline.db'), '');
  const out = await runToExit(sqliteEnv(dir));
  assertOneLineFailure(
    out,
    new RegExp(escape(join(dir, 'hookline.db'))),
    /empty \(0 bytes\)/,
    /secret-encryption\.key/,
    /INIT_EMPTY_DATABASE=true/,
  );
  assert.equal(statSync(join(dir, 'hookline.db')).size, 0, 'the file was left as it was');
  assert.equal(existsSync(join(dir, 'hookline.db-wal')), false);

  // Said explicitly, it is initialised.
  const server = await spawnServer({ ...sqliteEnv(dir), INIT_EMPTY_DATABASE: 'true' });
  cleanups.push(() => server.kill());
  await server.kill();
  assert.ok(statSync(join(dir, 'hookline.db')).size > 0);
});

test('an empty database file on a first start (no key file yet) is initialised as before', async () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'hookline.db'), '');
  const server = await spawnServer(sqliteEnv(dir));
  cleanups.push(() => server.kill());
  await server.kill();
});

test('a file that is not a SQLite database: one line naming the file', async () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'hookline.db'), randomBytes(10_000));
  const out = await runToExit(sqliteEnv(dir));
  assertOneLineFailure(out, new RegExp(`${escape(join(dir, 'hookline.db'))} is not a SQLite database`));
});

test('a corrupt SQLite database (valid header, damaged schema page): one line naming the file', async () => {
  const dir = freshDir();
  const path = join(dir, 'hookline.db');
  const db = new Database(path);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  for (let i = 0; i < 200; i++) db.prepare('INSERT INTO t (v) VALUES (?)').run('x'.repeat(100));
  db.close();
  // Page 1 holds the 100-byte header, then the schema table's b-tree page: trash the latter.
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(1000, 0xff), 0, 1000, 100);
  closeSync(fd);
  const out = await runToExit(sqliteEnv(dir));
  assertOneLineFailure(out, new RegExp(`${escape(path)} is corrupt`), /malformed/);
});

// ---------------------------------------------------------------- faults while running

async function gql(server: ServerProcess, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-api-key': BOOTSTRAP },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const PUBLISH = `mutation($p: JSON!) { publishEvent(input: { type: "disk.test", payload: $p }) { event { id } userErrors { message } } }`;

async function readyz(server: ServerProcess) {
  const res = await fetch(`${server.base}/readyz`);
  return { status: res.status, body: (await res.json()) as any };
}

/** A /readyz body without the database check's latency (it varies). */
function withoutLatency(body: any) {
  const { latencyMs, ...database } = body.dependencies.database;
  assert.equal(typeof latencyMs, 'number');
  return { ...body, dependencies: { ...body.dependencies, database } };
}

test('SQLite data that becomes unwritable while running: /readyz answers 503 and publishes fail with DATABASE_UNAVAILABLE, then both recover', async () => {
  const dir = freshDir();
  const path = join(dir, 'hookline.db');
  const server = await spawnServer({ ...sqliteEnv(dir), BOOTSTRAP_API_KEY: BOOTSTRAP, WORKER_ENABLED: 'false' });
  cleanups.push(() => server.kill());
  const created = await gql(
    server,
    `mutation { createEventType(input: { name: "disk.test", group: "Tests" }) { userErrors { message } } }`,
  );
  assert.deepEqual(created.body.data.createEventType.userErrors, []);
  const first = await gql(server, PUBLISH, { p: { n: 1 } });
  assert.ok(first.body.data.publishEvent.event.id, JSON.stringify(first.body));
  assert.equal((await readyz(server)).status, 200);

  // The fault: the file, its write-ahead log and the directory can no
  // longer be written (writes through the open descriptors fail with EPERM,
  // SQLite reports a disk I/O error). The -shm file is left alone: SQLite
  // maps it into memory, and an immutable mapping kills the process with
  // SIGBUS, which is not the fault under test.
  const undo = makeReadOnly(path, `${path}-wal`, dir);
  await new Promise((r) => setTimeout(r, 1100)); // past the readiness check's 1 s reuse
  const down = await readyz(server);
  assert.equal(down.status, 503, JSON.stringify(down.body));
  assert.equal(down.body.dependencies.database.status, 'down');
  assert.match(down.body.dependencies.database.error, /I\/O|readonly|read-only|EPERM|EACCES/i);
  assert.equal(down.body.status, 'unavailable');

  const failed = await gql(server, PUBLISH, { p: { n: 2 } });
  assert.equal(failed.status, 503, JSON.stringify(failed.body));
  assert.equal(failed.body.errors?.[0]?.extensions?.code, 'DATABASE_UNAVAILABLE', JSON.stringify(failed.body));
  assert.doesNotMatch(JSON.stringify(failed.body), /Unexpected error/);
  assert.equal(server.child.exitCode, null, 'the server is still running');
  // Reads still answer.
  const read = await gql(server, `{ viewer { name } }`);
  assert.equal(read.body.data.viewer.name, 'Admin');

  undo();
  await waitUntil(async () => (await readyz(server)).status === 200, 'readiness back once the file is writable', 10_000, 200);
  const again = await gql(server, PUBLISH, { p: { n: 3 } });
  assert.ok(again.body.data.publishEvent.event.id, JSON.stringify(again.body));
  for (const line of server
    .output()
    .split('\n')
    .filter((l) => l.trim()))
    JSON.parse(line);
  assert.match(server.output(), /the database does not take writes/);
  await server.kill();
});

test('REDIS_URL unreachable: the server serves, /readyz says Redis is down (200, degraded), logs are JSON and few; Redis coming back is seen', async () => {
  const redis = await startRedis();
  await redis.stop();
  const server = await spawnServer({ ...sqliteEnv(freshDir()), REDIS_URL: redis.url, BOOTSTRAP_API_KEY: BOOTSTRAP, LOG_LEVEL: 'info' });
  cleanups.push(() => server.kill());
  cleanups.push(() => redis.stop());
  const down = await readyz(server);
  assert.equal(down.status, 200);
  assert.deepEqual(withoutLatency(down.body), {
    status: 'degraded',
    dependencies: { database: { status: 'up' }, redis: { status: 'down' }, delivery: { status: 'up' } },
  });
  const viewer = await gql(server, `{ viewer { name } }`);
  assert.equal(viewer.body.data.viewer.name, 'Admin');

  await new Promise((r) => setTimeout(r, 3000));
  const lines = server
    .output()
    .split('\n')
    .filter((l) => l.trim());
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
  assert.doesNotMatch(server.output(), /\[ioredis\]/);
  const redisLines = lines.filter((l) => /redis/i.test(l));
  assert.ok(
    redisLines.length >= 1 && redisLines.length <= 4,
    `expected a few Redis lines in 3 s, got ${redisLines.length}:\n${redisLines.join('\n')}`,
  );

  await redis.start();
  await waitUntil(async () => (await readyz(server)).body.dependencies.redis.status === 'up', 'Redis seen as up', 15_000, 200);
  assert.deepEqual(withoutLatency((await readyz(server)).body), {
    status: 'ready',
    dependencies: { database: { status: 'up' }, redis: { status: 'up' }, delivery: { status: 'up' } },
  });
  await server.kill();
});

test('without REDIS_URL, /readyz lists no Redis', async () => {
  const dir = freshDir();
  mkdirSync(join(dir, 'x'));
  const server = await spawnServer(sqliteEnv(join(dir, 'x')));
  cleanups.push(() => server.kill());
  assert.deepEqual(withoutLatency((await readyz(server)).body), {
    status: 'ready',
    dependencies: { database: { status: 'up' }, delivery: { status: 'up' } },
  });
  await server.kill();
});
