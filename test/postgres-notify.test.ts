// LISTEN/NOTIFY on PostgreSQL: a publish on an API-only instance wakes the
// delivery thread of another instance at once. The worker instance polls
// only once a minute here, so a delivery that arrives within seconds was
// woken by the notification, not found by a poll.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { freshDatabase } from './helpers/postgres.js';

const KEY = 'notify-test-bootstrap-key-00000';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let api: ServerProcess;
let worker: ServerProcess;
let receiver: Receiver;

before(async () => {
  db = await freshDatabase();
  const env = {
    DATABASE_URL: db.url,
    BOOTSTRAP_API_KEY: KEY,
    SECRET_ENCRYPTION_KEY: 'b'.repeat(64),
    ALLOW_PRIVATE_TARGETS: 'true',
    WORKER_POLL_MS: '60000',
  };
  api = await spawnServer({
    ...env,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-notify-')),
    INSTANCE_ID: 'api',
    WORKER_ENABLED: 'false',
  });
  worker = await spawnServer({ ...env, DATA_DIR: mkdtempSync(join(tmpdir(), 'hookline-notify-')), INSTANCE_ID: 'worker' });
  receiver = await startReceiver();
});

after(async () => {
  await api?.kill('SIGTERM');
  await worker?.kill('SIGTERM');
  await receiver?.close();
  await db?.drop();
});

test('a publish on an API-only instance wakes the worker on another instance within seconds, not at its next poll', async () => {
  const gql = client(api.url, KEY);
  await gql(`mutation { createEventType(input: { name: "parcel.sent", group: "Parcels" }) { userErrors { message } } }`);
  const created = await gql(`mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { userErrors { message } } }`, {
    i: { name: 'parcels', targetUrl: receiver.url, events: ['parcel.sent'] },
  });
  assert.deepEqual(created.data.createWebhook.userErrors, []);
  // Let the worker's first poll (at start) pass, so only a notification can wake it now.
  await new Promise((r) => setTimeout(r, 1_000));
  for (let n = 0; n < 3; n++) {
    const started = Date.now();
    const pub = await gql(`mutation { publishEvent(input: { type: "parcel.sent", payload: { n: ${n} } }) { deliveryCount } }`);
    assert.equal(pub.data.publishEvent.deliveryCount, 1);
    const [got] = (await receiver.waitFor(n + 1, 10_000)).slice(n);
    assert.equal(got.json.data.n, n);
    const ms = Date.now() - started;
    assert.ok(ms < 5_000, `delivery ${n} took ${ms} ms; the worker polls only every 60 s`);
  }
});
