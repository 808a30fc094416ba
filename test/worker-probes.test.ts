// `npm run worker` with WORKER_PORT: the worker process answers /healthz,
// /readyz (with the delivery thread as a dependency it cannot do without)
// and /metrics, counting the deliveries it made, while the API-only
// instance's /readyz lists no delivery and its /metrics counts none. Real
// processes (dist/main.mjs and dist/worker.mjs) on the test database
// (SQLite, or PostgreSQL with HOOKLINE_TEST_DB=postgres).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { testEnv, BOOTSTRAP_KEY } from './helpers/app.js';
import { client } from './helpers/graphql.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { parseMetrics, sum } from './helpers/metrics.js';
import { loggedLine, ROOT, spawnServer, type ServerProcess } from './helpers/process.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { waitUntil } from './helpers/wait.js';

let api: ServerProcess | null = null;
let worker: ChildProcess | null = null;
let receiver: Receiver | null = null;
let dropDatabase: (() => Promise<void>) | null = null;

after(async () => {
  await api?.kill();
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.on('exit', r));
  }
  await receiver?.close();
  await dropDatabase?.();
});

test('a worker process with WORKER_PORT serves /healthz, /readyz and /metrics for its deliveries', async () => {
  const { vars, pg } = await testEnv({ ALLOW_PRIVATE_TARGETS: 'true' });
  dropDatabase = pg ? () => pg.drop() : null;
  receiver = await startReceiver();
  api = await spawnServer({ ...vars, WORKER_ENABLED: 'false' });
  const apiReady = (await (await fetch(`${api.base}/readyz`)).json()) as any;
  assert.deepEqual(Object.keys(apiReady.dependencies), ['database'], 'an API-only instance has no delivery thread to report');

  // WORKER_PORT=0: the system picks a free port and the worker's start-up log
  // line names it (a port found free beforehand can be taken by the other test pass).
  let out = '';
  worker = spawn(process.execPath, ['--enable-source-maps', 'dist/worker.mjs'], {
    cwd: ROOT,
    env: { ...process.env, ...vars, LOG_LEVEL: 'info', WORKER_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (d) => (out += d));
  worker.stderr!.on('data', (d) => (out += d));
  const probesPort = () => (loggedLine(out, '"probesPort"')?.probesPort as number | undefined) ?? null;
  let base = '';
  const ready = await waitUntil(
    async () => {
      if (worker!.exitCode !== null) throw new Error(`worker exited: ${out}`);
      const port = probesPort();
      if (port === null) return null;
      base = `http://127.0.0.1:${port}`;
      const res = await fetch(`${base}/readyz`).catch(() => null);
      return res?.status === 200 ? ((await res.json()) as any) : null;
    },
    'the worker to be ready on WORKER_PORT',
    60_000,
    100,
  );
  assert.equal(ready.status, 'ready');
  assert.equal(ready.dependencies.database.status, 'up');
  assert.deepEqual(ready.dependencies.delivery, { status: 'up' });
  assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
  assert.equal((await fetch(`${base}/graphql`)).status, 404, 'the worker serves no API');

  const gql = client(api.url, BOOTSTRAP_KEY);
  await createEventType(gql, 'job.done');
  await createWebhook(gql, { name: 'jobs', targetUrl: receiver.url, events: ['job.done'] });
  for (let i = 0; i < 5; i++) await publish(gql, 'job.done', { i });
  await receiver.waitFor(5, 30_000);

  const workerMetrics = await waitUntil(async () => {
    const samples = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    return sum(samples, 'hookline_delivery_attempts_total', { outcome: 'success' }) === 5 ? samples : null;
  }, "the worker's /metrics to count the five deliveries");
  assert.equal(sum(workerMetrics, 'hookline_delivery_attempts_total'), receiver.received.length);
  assert.equal(sum(workerMetrics, 'hookline_webhooks', { state: 'active' }), 1);
  const apiMetrics = parseMetrics(await (await fetch(`${api.base}/metrics`)).text());
  assert.equal(sum(apiMetrics, 'hookline_delivery_attempts_total'), 0, 'the API instance delivered nothing');
  assert.equal(sum(apiMetrics, 'hookline_graphql_operations_total', { operation_type: 'mutation' }), 7);

  worker.kill('SIGTERM');
  const code = await new Promise((r) => worker!.on('exit', (c) => r(c)));
  assert.equal(code, 0, `the worker exits 0 on SIGTERM: ${out}`);
});
