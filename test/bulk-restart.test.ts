// A bulk operation survives a crash: a replay of 120 events is killed (kill
// -9) after a few batches, and another instance started on the same
// database takes it over once the lease runs out and resumes from its
// stored progress. Every event is replayed into exactly one new delivery
// (progress commits with each batch), and each reaches the receiver.
// Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL (testEnv).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

const EVENTS = 120;
let server: ServerProcess | null = null;
let receiver: Receiver | null = null;
let dropDb: (() => Promise<void>) | null = null;
after(async () => {
  await server?.kill();
  await receiver?.close();
  await dropDb?.();
});

const op = async (gql: Gql, id: string) =>
  (await gql(`query($id: ID!) { bulkOperation(id: $id) { status total done failed } }`, { id })).data.bulkOperation;

test('a replay killed mid-way resumes on a restarted instance from its progress: each event once', async () => {
  const { vars, pg } = await testEnv({
    ALLOW_PRIVATE_TARGETS: 'true',
    BULK_BATCH_SIZE: '10',
    BULK_PAUSE_MS: '250',
    DELIVERY_LEASE: '2s',
    SECRET_ENCRYPTION_KEY: 'c'.repeat(64),
    LOG_LEVEL: 'warn',
  });
  dropDb = pg ? () => pg.drop() : null;
  receiver = await startReceiver();
  server = await spawnServer({ ...vars, INSTANCE_ID: 'bulk-first' });
  let gql = client(server.url, vars.BOOTSTRAP_API_KEY);
  await createEventType(gql, 'order.paid');
  for (let i = 0; i < EVENTS; i++) await publish(gql, 'order.paid', { i });
  const { id: webhookId } = await createWebhook(gql, { name: 'late', targetUrl: receiver.url, events: ['order.paid'] });
  const res = await gql(
    `mutation($w: ID!) { replayEvents(filter: { types: ["order.paid"] }, webhookId: $w) { bulkOperation { id total } userErrors { message } } }`,
    {
      w: webhookId,
    },
  );
  assert.deepEqual(res.data.replayEvents.userErrors, []);
  const { id, total } = res.data.replayEvents.bulkOperation;
  assert.equal(total, EVENTS);

  const before = await waitUntil(async () => {
    const o = await op(gql, id);
    return o.done >= 20 ? o : null;
  }, 'two batches');
  assert.equal(before.status, 'RUNNING');
  await server.kill('SIGKILL');

  // Another instance (another INSTANCE_ID): it waits for the dead one's lease, then resumes.
  server = await spawnServer({ ...vars, INSTANCE_ID: 'bulk-second' });
  gql = client(server.url, vars.BOOTSTRAP_API_KEY);
  const resumed = await op(gql, id);
  assert.equal(resumed.status, 'RUNNING');
  assert.ok(resumed.done >= before.done && resumed.done < EVENTS, `resumed at ${resumed.done}`);
  const ended = await waitUntil(
    async () => {
      const o = await op(gql, id);
      return o.status !== 'RUNNING' ? o : null;
    },
    'the replay to end',
    60_000,
  );
  assert.deepEqual(ended, { status: 'SUCCEEDED', total: EVENTS, done: EVENTS, failed: 0 });

  // Exactly one new delivery per event: no batch was applied twice, none skipped.
  const deliveries = await gql(`query($w: ID!) { webhook(id: $w) { deliveries(first: 1) { totalCount } } }`, { w: webhookId });
  assert.equal(deliveries.data.webhook.deliveries.totalCount, EVENTS);
  await waitUntil(
    () => new Set(receiver!.received.map((r) => r.headers['webhook-id'])).size === EVENTS || null,
    'every event received',
    60_000,
  );
});
