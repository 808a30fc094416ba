// METRICS_ACCOUNT_LABELS=true: the delivery counters carry the account id,
// and each account's counts are its own (two tenants, real receivers).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, createTenant } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish } from './helpers/dispatch.js';
import { scrape, sum } from './helpers/metrics.js';
import { waitUntil } from './helpers/wait.js';

let app: TestApp;
let receiver: Receiver;
before(async () => {
  app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'true', METRICS_ACCOUNT_LABELS: 'true' });
  receiver = await startReceiver();
});
after(async () => {
  await app.stop();
  await receiver.close();
});

test('per-account labels on the delivery counters, only when asked for', async () => {
  const acme = client(app.url, BOOTSTRAP_KEY);
  const globex = await createTenant('globex');
  const other = client(app.url, globex.apiKey);
  for (const gql of [acme, other]) {
    await createEventType(gql, 'order.paid');
    await createWebhook(gql, { name: 'orders', targetUrl: receiver.url, events: ['order.paid'] });
  }
  for (let i = 0; i < 3; i++) await publish(acme, 'order.paid', { i });
  for (let i = 0; i < 2; i++) await publish(other, 'order.paid', { i });
  await receiver.waitFor(5);
  const m = await waitUntil(async () => {
    const s = (await scrape(app.url)).samples;
    return sum(s, 'hookline_delivery_attempts_total') === 5 ? s : null;
  }, 'five attempts counted');
  assert.equal(sum(m, 'hookline_delivery_attempts_total', { account: globex.accountId, outcome: 'success' }), 2);
  assert.equal(sum(m, 'hookline_deliveries_completed_total', { account: globex.accountId, status: 'succeeded' }), 2);
  const accounts = new Set(m.filter((s) => s.name === 'hookline_delivery_attempts_total').map((s) => s.labels.account));
  assert.equal(accounts.size, 2, 'one series per account');
  assert.ok(accounts.has(globex.accountId));
  const acmeId = [...accounts].find((a) => a !== globex.accountId)!;
  assert.equal(sum(m, 'hookline_delivery_attempts_total', { account: acmeId, outcome: 'success' }), 3);
});
