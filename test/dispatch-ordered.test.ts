// Ordered delivery against a real receiver: a webhook with ordered: true
// gets its deliveries one at a time, in event order, and a failing delivery
// blocks the ones behind it until it succeeds (after retries) or fails for
// good. (Two instances on PostgreSQL: test/dispatch-policy-cluster.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, testDb, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { orderedScript, assertInOrder } from './helpers/ordered.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];

before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '0.05,0.1,0.1', AUTO_DISABLE_AFTER: '1000' });
  gql = client(app.url, BOOTSTRAP_KEY);
  await createEventType(gql, 'ordered.test');
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

test('one at a time, in event order, through retries; a delivery that fails for good lets the next go', async () => {
  const r = await startReceiver();
  receivers.push(r);
  // Every third event fails its first two tries; event 10 fails every try (4 tries: FAILED).
  const script = orderedScript(r, { failFirst: (n) => (n % 3 === 0 ? 2 : 0), alwaysFail: (n) => n === 10 });
  const { id } = await createWebhook(gql, { name: 'ordered', targetUrl: r.url, events: ['ordered.test'], ordered: true });
  const read = await gql(`query($id: ID!) { webhook(id: $id) { ordered } webhookDefaults { ordered } }`, { id });
  assert.deepEqual(read.data, { webhook: { ordered: true }, webhookDefaults: { ordered: false } });
  assert.equal((await testDb().prisma.webhook.findUniqueOrThrow({ where: { id } })).gated, true);

  const N = 24;
  // Published one after another: the event order.
  for (let n = 0; n < N; n++) await publish(gql, 'ordered.test', { n });
  await waitUntil(async () => {
    const v = await webhookView(gql, id);
    return v.deliveries.length === N && v.deliveries.every((d) => d.status !== 'PENDING');
  }, 'every delivery to finish');
  assertInOrder(script, N, { failedForGood: [10] });
  const v = await webhookView(gql, id);
  assert.equal(v.deliveries.filter((d) => d.status === 'FAILED').length, 1);
});

test('without ordered, the same webhook takes deliveries side by side again', async () => {
  const r = await startReceiver();
  receivers.push(r);
  const script = orderedScript(r, { holdMs: 100 });
  const { id } = await createWebhook(gql, { name: 'unordered', targetUrl: r.url, events: ['ordered.test'], ordered: true });
  const res = await gql(
    `mutation($id: ID!) { updateWebhook(id: $id, input: { ordered: null }) { webhook { ordered } userErrors { message } } }`,
    {
      id,
    },
  );
  assert.equal(res.data.updateWebhook.webhook.ordered, false);
  assert.equal((await testDb().prisma.webhook.findUniqueOrThrow({ where: { id } })).gated, false);
  await Promise.all(Array.from({ length: 8 }, (_, n) => publish(gql, 'ordered.test', { n })));
  await r.waitFor(8);
  assert.ok(script.mostInFlight > 1, `${script.mostInFlight} in flight`);
});
