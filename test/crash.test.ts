// Crash safety: once publishEvent has answered, a kill -9 at any moment must
// not lose a delivery. 1,000 events to 2 webhooks, the server killed while
// deliveries are in flight, restarted on the same database; every delivery
// must arrive. Duplicates (at-least-once) are counted and reported.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { spawnServer, type ServerProcess } from './helpers/process.js';

const EVENTS = 1000;
const KEY = 'crash-test-bootstrap-key-000000';
const dataDir = mkdtempSync(join(tmpdir(), 'hookline-crash-'));
const env = {
  DATABASE_URL: `file:${join(dataDir, 'hookline.db')}`,
  DATA_DIR: dataDir,
  BOOTSTRAP_API_KEY: KEY,
  ALLOW_PRIVATE_TARGETS: 'true',
  RETRY_SCHEDULE: '0.05,0.05,0.1,0.2',
  DELIVERY_TIMEOUT_MS: '1000',
  DELIVERY_LEASE: '1s',
  WORKER_POLL_MS: '20',
};

const receivers: Receiver[] = [];
let server: ServerProcess | null = null;
after(async () => {
  await server?.kill();
  for (const r of receivers) await r.close();
});

function distinctIds(r: Receiver): Set<string> {
  return new Set(r.received.map((x) => String(x.headers['webhook-id'])));
}

test('kill -9 mid-flight loses no acknowledged delivery', async (t) => {
  receivers.push(await startReceiver('/a'), await startReceiver('/b'));
  server = await spawnServer(env);
  let gql = client(server.url, KEY);
  await gql(`mutation { createEventType(input: { name: "order.paid", group: "Orders" }) { userErrors { message } } }`);
  for (const [i, r] of receivers.entries()) {
    const res = await gql(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { userErrors { message } } }`, {
      input: { name: `receiver ${i}`, targetUrl: r.url, events: ['order.paid'] },
    });
    assert.deepEqual(res.data.createWebhook.userErrors, []);
  }

  const acknowledged = new Map<number, string>();
  const publish = async (i: number) => {
    const res = await gql(
      `mutation($input: PublishEventInput!) { publishEvent(input: $input) { event { id } deliveryCount userErrors { message } } }`,
      { input: { type: 'order.paid', payload: { order: i }, idempotencyKey: `order-${i}` } },
    );
    assert.deepEqual(res.data.publishEvent.userErrors, []);
    assert.equal(res.data.publishEvent.deliveryCount, 2);
    acknowledged.set(i, res.data.publishEvent.event.id);
  };

  // Publish with 8 requests in flight; kill the server once deliveries are
  // flowing and publishes are still being answered.
  let next = 0;
  let killed = false;
  const total = () => receivers[0].received.length + receivers[1].received.length;
  const publisher = async () => {
    while (next < EVENTS && !killed) {
      const i = next++;
      await publish(i).catch(() => undefined);
    }
  };
  const killer = (async () => {
    while (total() < 300 && next < EVENTS) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    await server!.kill('SIGKILL');
  })();
  await Promise.all([...Array.from({ length: 8 }, publisher), killer]);
  const ackedBeforeKill = acknowledged.size;
  t.diagnostic(`killed after ${ackedBeforeKill} acknowledged publishes and ${total()} received deliveries`);
  assert.ok(ackedBeforeKill < EVENTS, 'the kill must land while publishing is still under way');

  // Restart on the same database. A client retries what was not acknowledged,
  // with the same idempotency keys.
  server = await spawnServer(env);
  gql = client(server.url, KEY);
  const retries = Array.from({ length: EVENTS }, (_, i) => i).filter((i) => !acknowledged.has(i));
  for (let k = 0; k < retries.length; k += 8) await Promise.all(retries.slice(k, k + 8).map(publish));
  assert.equal(acknowledged.size, EVENTS);

  const deadline = Date.now() + 120_000;
  while (distinctIds(receivers[0]).size < EVENTS || distinctIds(receivers[1]).size < EVENTS) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const expected = new Set(acknowledged.values());
  for (const r of receivers) {
    const ids = distinctIds(r);
    assert.equal(ids.size, EVENTS, `receiver ${r.url} got ${ids.size} distinct events of ${EVENTS}`);
    for (const id of ids) assert.ok(expected.has(id), `unexpected event ${id}`);
  }
  const duplicates = receivers.reduce((n, r) => n + r.received.length - distinctIds(r).size, 0);
  // Only deliveries in flight at the kill (at most DELIVERY_CONCURRENCY, 64)
  // may be sent twice.
  assert.ok(duplicates <= 64, `${duplicates} duplicates: more than were in flight at the kill`);
  t.diagnostic(`all ${2 * EVENTS} deliveries arrived; ${duplicates} duplicate(s) (at-least-once, counted after the kill)`);
  console.log(`crash test: ${2 * EVENTS} deliveries, ${duplicates} duplicates, ${ackedBeforeKill} publishes acknowledged before kill -9`);
});
