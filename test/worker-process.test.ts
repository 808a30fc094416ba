// Deployment split: an API-only instance (WORKER_ENABLED=false) takes
// publishes, and a separate `npm run worker` process on the same database
// delivers them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { ROOT, spawnServer, type ServerProcess } from './helpers/process.js';

const KEY = 'worker-test-bootstrap-key-00000';
const dataDir = mkdtempSync(join(tmpdir(), 'hookline-worker-'));
const env = {
  DATABASE_URL: `file:${join(dataDir, 'hookline.db')}`,
  DATA_DIR: dataDir,
  BOOTSTRAP_API_KEY: KEY,
  ALLOW_PRIVATE_TARGETS: 'true',
  WORKER_POLL_MS: '20',
};
let api: ServerProcess | null = null;
let worker: ChildProcess | null = null;
let receiver: Receiver | null = null;

after(async () => {
  await api?.kill('SIGTERM');
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.on('exit', r));
  }
  await receiver?.close();
});

test('an API-only instance does not deliver; a separate worker process does', async () => {
  receiver = await startReceiver();
  api = await spawnServer({ ...env, WORKER_ENABLED: 'false' });
  const gql = client(api.url, KEY);
  await gql(`mutation { createEventType(input: { name: "job.done", group: "Jobs" }) { userErrors { message } } }`);
  await gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { userErrors { message } } }`, {
    i: { name: 'jobs', targetUrl: receiver.url, events: ['job.done'] },
  });
  const pub = await gql(`mutation { publishEvent(input: { type: "job.done", payload: { id: 1 } }) { deliveryCount } }`);
  assert.equal(pub.data.publishEvent.deliveryCount, 1);
  const pending = await gql(`{ webhooks(first: 1) { nodes { stats { pendingCount succeededCount } } } }`);
  assert.deepEqual(pending.data.webhooks.nodes[0].stats, { pendingCount: 1, succeededCount: 0 });

  worker = spawn(process.execPath, ['--enable-source-maps', 'dist/worker.mjs'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [got] = await receiver.waitFor(1, 60_000);
  assert.equal(got.json.type, 'job.done');
  const deadline = Date.now() + 30_000;
  let stats: any;
  do {
    stats = (await gql(`{ webhooks(first: 1) { nodes { stats { pendingCount succeededCount } } } }`)).data.webhooks.nodes[0].stats;
    if (stats.succeededCount === 1) break;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < deadline);
  assert.deepEqual(stats, { pendingCount: 0, succeededCount: 1 });
  worker.kill('SIGTERM');
  const code = await new Promise((r) => worker!.on('exit', (c) => r(c)));
  assert.equal(code, 0, 'the worker exits 0 on SIGTERM');
});
