// The user's path, with real child processes: the admin command creates an
// account, then `node dist/main.mjs` (what `npm start` runs) serves
// it on a real port, answers probes and GraphiQL, enforces auth and the body
// cap, and shuts down cleanly on SIGTERM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loggedLine } from './helpers/process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'hookline-cli-'));
const MAX_BODY_BYTES = 4096;
/** Generous upper bounds so a wedged child fails the test instead of hanging it. */
const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 60_000;

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: `file:${join(dataDir, 'hookline.db')}`,
  DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  MAX_BODY_BYTES: String(MAX_BODY_BYTES),
};
delete env.BOOTSTRAP_API_KEY;
delete env.SECRET_ENCRYPTION_KEY;

interface Output {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): { out: Output; exited: Promise<Output> } {
  const out: Output = { code: null, signal: null, stdout: '', stderr: '' };
  child.stdout?.on('data', (d) => (out.stdout += d));
  child.stderr?.on('data', (d) => (out.stderr += d));
  const exited = new Promise<Output>((resolve) =>
    child.on('close', (code, signal) => {
      out.code = code;
      out.signal = signal;
      resolve(out);
    }),
  );
  return { out, exited };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function runAdmin(args: string[]): Promise<Output> {
  const child = spawn('npm', ['run', '--silent', 'admin', '--', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return withTimeout(collect(child).exited, START_TIMEOUT_MS, `npm run admin ${args.join(' ')}`);
}

let account: { accountId: string; associateId: string; apiKey: string };
let server: ChildProcess;
let serverOut: Output;
let serverExited: Promise<Output>;
let base: string;

before(async () => {
  const created = await runAdmin(['create-account', 'acme']);
  assert.equal(created.code, 0, `admin create-account failed: ${created.stderr}`);
  const lines = created.stdout.split('\n');
  assert.equal(lines.length, 2, `expected exactly one line of output, got ${JSON.stringify(created.stdout)}`);
  assert.equal(lines[1], '', 'the output ends with a newline');
  account = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(account).sort(), ['accountId', 'apiKey', 'associateId']);
  for (const v of Object.values(account)) assert.ok(typeof v === 'string' && v.length > 0);

  // PORT=0: the system picks a free port and the listening log line names
  // it (a port found free beforehand can be taken by the other test pass).
  server = spawn(process.execPath, ['--enable-source-maps', 'dist/main.mjs'], {
    cwd: root,
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ({ out: serverOut, exited: serverExited } = collect(server));
  // Ready when the listening log line appears; fail early if the process dies.
  const listening = new Promise<void>((resolve) => {
    const check = () => {
      const line = loggedLine(serverOut.stdout, 'GraphQL server listening');
      if (line) {
        server.stdout?.off('data', check);
        base = new URL(line.url).origin;
        resolve();
      }
    };
    server.stdout?.on('data', check);
  });
  const died = serverExited.then((o) => {
    throw new Error(`server exited early (code ${o.code}):\n${o.stderr}\n${o.stdout}`);
  });
  await withTimeout(Promise.race([listening, died]), START_TIMEOUT_MS, 'server start');
});

after(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL');
    await serverExited;
  }
});

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const viewerQuery = JSON.stringify({ query: '{ viewer { name role } }' });

test('admin create-account refuses a duplicate name and a missing name, printing nothing on stdout', async () => {
  const dup = await runAdmin(['create-account', 'acme']);
  assert.equal(dup.code, 1);
  assert.equal(dup.stdout, '');
  assert.match(dup.stderr, /already exists/);
  const missing = await runAdmin(['create-account']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /usage/);
});

test('the new account key reads the viewer as ADMIN, by x-api-key and by Bearer', async () => {
  const byHeader = await post(viewerQuery, { 'x-api-key': account.apiKey });
  assert.equal(byHeader.status, 200);
  assert.deepEqual(byHeader.body, { data: { viewer: { name: 'Admin', role: 'ADMIN' } } });
  const byBearer = await post(viewerQuery, { authorization: `Bearer ${account.apiKey}` });
  assert.equal(byBearer.status, 200);
  assert.deepEqual(byBearer.body.data.viewer, { name: 'Admin', role: 'ADMIN' });
});

test('admin create-platform-key prints a key that creates accounts over the API; revoke-platform-key stops it', async () => {
  const made = await runAdmin(['create-platform-key', 'saas backend']);
  assert.equal(made.code, 0, made.stderr);
  const { platformKeyId, name, key } = JSON.parse(made.stdout);
  assert.equal(name, 'saas backend');
  assert.match(key, /^hkp_[A-Za-z0-9]{40}$/);
  const create = (accountName: string) =>
    post(
      JSON.stringify({
        query: 'mutation($n: String!) { createAccount(input: { name: $n }) { account { name } key userErrors { code } } }',
        variables: { n: accountName },
      }),
      { authorization: `Bearer ${key}` },
    );
  const created = await create('provisioned');
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.data.createAccount.account.name, 'provisioned');
  const tenant = await post(viewerQuery, { 'x-api-key': created.body.data.createAccount.key });
  assert.deepEqual(tenant.body.data.viewer, { name: 'Admin', role: 'ADMIN' });
  // The key shows only as hints in the list.
  const listed = await runAdmin(['list-platform-keys']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(!listed.stdout.includes(key));
  assert.deepEqual(
    JSON.parse(listed.stdout).map((k: { platformKeyId: string; prefix: string; lastFour: string }) => [
      k.platformKeyId,
      k.prefix,
      k.lastFour,
    ]),
    [[platformKeyId, key.slice(0, 8), key.slice(-4)]],
  );
  const revoked = await runAdmin(['revoke-platform-key', platformKeyId]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await create('too late')).status, 401);
  const unknown = await runAdmin(['revoke-platform-key', 'no-such-key']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No platform key/);
});

test('GET /healthz and GET /readyz answer 200', async () => {
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as { status: string; dependencies: { database: { status: string } } };
  assert.equal(body.status, 'ready');
  assert.equal(body.dependencies.database.status, 'up');
});

test('a browser GET of /graphql gets GraphiQL', async () => {
  const res = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  const html = await res.text();
  assert.match(html, /<html/i);
  assert.match(html, /graphiql/i);
  assert.match(html, /Hookline/);
});

test('a request without a key gets 401 UNAUTHENTICATED; so does an unknown key', async () => {
  const none = await post(viewerQuery);
  assert.equal(none.status, 401);
  assert.equal(none.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(none.body.data ?? null, null);
  const wrong = await post(viewerQuery, { 'x-api-key': 'hk_not-a-real-key-at-all-000000' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});

test(`a body over MAX_BODY_BYTES (${MAX_BODY_BYTES}) gets 413`, async () => {
  const padding = 'x'.repeat(MAX_BODY_BYTES);
  const big = JSON.stringify({ query: `{ viewer { name } } # ${padding}` });
  assert.ok(Buffer.byteLength(big) > MAX_BODY_BYTES);
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': account.apiKey },
    body: big,
  });
  assert.equal(res.status, 413);
  await res.arrayBuffer();
  // A body just under the cap is still served.
  const small = JSON.stringify({ query: `{ viewer { name } } # ${'x'.repeat(MAX_BODY_BYTES - 100)}` });
  assert.ok(Buffer.byteLength(small) <= MAX_BODY_BYTES);
  const ok = await post(small, { 'x-api-key': account.apiKey });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.data.viewer.name, 'Admin');
});

test('the logs are structured JSON lines', () => {
  const lines = serverOut.stdout.split('\n').filter((l) => l.trim());
  assert.ok(lines.length > 0);
  for (const line of lines) {
    const entry = JSON.parse(line);
    assert.equal(typeof entry.level, 'number');
    assert.equal(typeof entry.msg, 'string');
  }
});

test('SIGTERM shuts the server down with exit code 0', async () => {
  server.kill('SIGTERM');
  const out = await withTimeout(serverExited, EXIT_TIMEOUT_MS, 'exit after SIGTERM');
  assert.equal(out.signal, null, `killed by ${out.signal}`);
  assert.equal(out.code, 0, `exit code ${out.code}; stderr:\n${out.stderr}`);
  assert.match(out.stdout, /shutting down/);
  assert.doesNotMatch(out.stderr, /^\s+at\s/m, `stderr has a stack trace:\n${out.stderr}`);
});
