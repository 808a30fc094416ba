// Per-webhook delivery overrides (retrySchedule, timeoutMs, maxConcurrency):
// saved and shown on the webhook, cleared with null, checked on input, shown
// as the global settings by webhookDefaults, and applied by the delivery
// thread against real receivers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { assertUserError, payloadOk } from './helpers/webhooks.js';
import { settle, waitUntil } from './helpers/wait.js';

let app: TestApp;
let gql: Gql;
const receivers: Receiver[] = [];

const POLICY = 'retrySchedule timeoutMs maxConcurrency';

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '0.05,0.05',
    DELIVERY_TIMEOUT_MS: '300',
    WEBHOOK_CONCURRENCY: '8',
    // Leases short enough that a delivery outliving its lease would be sent twice.
    DELIVERY_LEASE: '1s',
    AUTO_DISABLE_AFTER: '1000',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  await createEventType(gql, 'policy.test');
});
after(async () => {
  await app.stop();
  for (const r of receivers) await r.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function read(id: string) {
  const res = await gql(`query($id: ID!) { webhook(id: $id) { ${POLICY} } }`, { id });
  assert.equal(res.errors, undefined);
  return res.data.webhook;
}

test('webhookDefaults shows the global settings; overrides are saved, shown, changed and cleared with null', async () => {
  const defaults = await gql(`{ webhookDefaults { ${POLICY} } }`);
  assert.deepEqual(defaults.data.webhookDefaults, { retrySchedule: [0.05, 0.05], timeoutMs: 300, maxConcurrency: 8 });

  const plain = await createWebhook(gql, { name: 'no overrides', targetUrl: 'https://93.184.216.34/a', events: ['policy.test'] });
  assert.deepEqual(await read(plain.id), { retrySchedule: null, timeoutMs: null, maxConcurrency: null });

  const input = { retrySchedule: [1, 60, 3600], timeoutMs: 2500, maxConcurrency: 3 };
  const { id } = await createWebhook(gql, { name: 'overrides', targetUrl: 'https://93.184.216.34/b', events: ['policy.test'], ...input });
  assert.deepEqual(await read(id), input);

  // Left out: unchanged. A value: changed. null: back to the global setting.
  const update = `mutation($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { webhook { ${POLICY} } userErrors { field message code } } }`;
  let w = payloadOk(await gql(update, { id, input: { name: 'overrides 2' } }), 'updateWebhook').webhook;
  assert.deepEqual(w, input);
  w = payloadOk(await gql(update, { id, input: { timeoutMs: 900, retrySchedule: [] } }), 'updateWebhook').webhook;
  assert.deepEqual(w, { retrySchedule: [], timeoutMs: 900, maxConcurrency: 3 });
  w = payloadOk(await gql(update, { id, input: { retrySchedule: null, timeoutMs: null, maxConcurrency: null } }), 'updateWebhook').webhook;
  assert.deepEqual(w, { retrySchedule: null, timeoutMs: null, maxConcurrency: null });
  assert.deepEqual(await read(id), { retrySchedule: null, timeoutMs: null, maxConcurrency: null });

  // With isActive, an explicit null is still a change (not an update that only toggles).
  payloadOk(await gql(update, { id, input: { maxConcurrency: 3 } }), 'updateWebhook');
  w = payloadOk(await gql(update, { id, input: { isActive: true, maxConcurrency: null } }), 'updateWebhook').webhook;
  assert.equal(w.maxConcurrency, null);
});

test('out-of-range overrides are typed userErrors naming the field', async () => {
  const create = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { field message code } } }`;
  const base = { name: 'bad', targetUrl: 'https://93.184.216.34/c', events: ['policy.test'] };
  for (const [over, field] of [
    [{ timeoutMs: 0 }, ['input', 'timeoutMs']],
    [{ timeoutMs: 600_001 }, ['input', 'timeoutMs']],
    [{ maxConcurrency: 0 }, ['input', 'maxConcurrency']],
    [{ retrySchedule: [5, -1] }, ['input', 'retrySchedule', '1']],
    [{ retrySchedule: Array.from({ length: 51 }, () => 1) }, ['input', 'retrySchedule']],
  ] as const) {
    assertUserError(await gql(create, { input: { ...base, ...over } }), 'createWebhook', 'INVALID', [...field]);
  }
  const { id } = await createWebhook(gql, { ...base, name: 'good' });
  assertUserError(
    await gql(
      `mutation($id: ID!) { updateWebhook(id: $id, input: { maxConcurrency: -2 }) { webhook { id } userErrors { field message code } } }`,
      {
        id,
      },
    ),
    'updateWebhook',
    'INVALID',
    ['input', 'maxConcurrency'],
  );
});

test("retrySchedule: the webhook's own schedule decides how often and when a failing delivery is retried", async () => {
  const r = await receiver();
  r.respond((_req, _i, res) => {
    res.writeHead(503).end('down');
  });
  // One retry, 1 s (±20%) later; the global schedule would make two 50 ms apart.
  const { id } = await createWebhook(gql, { name: 'own schedule', targetUrl: r.url, events: ['policy.test'], retrySchedule: [1] });
  await publish(gql, 'policy.test', { n: 1 });
  const v = await waitUntil(async () => {
    const w = await webhookView(gql, id);
    return w.deliveries[0]?.status === 'FAILED' ? w : null;
  }, 'the delivery to fail for good');
  assert.equal(v.attempts.length, 2);
  assert.equal(r.received.length, 2);
  const gap = r.received[1].at - r.received[0].at;
  assert.ok(gap >= 780 && gap < 2000, `retried after ${gap} ms`);
});

test('timeoutMs: a shorter or longer timeout than DELIVERY_TIMEOUT_MS (300 ms) applies to each request', async () => {
  const r = await receiver();
  // Answers after 3 s: longer than the global timeout, and longer than the
  // lease a claim takes (the larger of DELIVERY_LEASE, 1 s, and 2 × 300 + 2000 ms).
  r.respond((_req, _i, res) => {
    setTimeout(() => res.writeHead(200).end('slow but fine'), 3000);
  });
  const patient = await createWebhook(gql, {
    name: 'patient',
    targetUrl: r.url,
    events: ['policy.test'],
    timeoutMs: 5000,
    retrySchedule: [],
  });
  const { eventId } = await publish(gql, 'policy.test', { n: 2 });
  const v = await waitUntil(async () => {
    const w = await webhookView(gql, patient.id);
    return w.deliveries[0]?.status === 'SUCCEEDED' ? w : null;
  }, 'the slow answer to be accepted');
  assert.equal(v.attempts[0].responseStatus, 200);
  assert.ok(v.attempts[0].durationMs >= 2900, `took ${v.attempts[0].durationMs} ms`);
  // Its lease was lengthened for the long timeout: no second copy while it waited.
  await settle(300);
  assert.equal(r.received.filter((x) => x.headers['webhook-id'] === eventId).length, 1);

  await gql(`mutation($id: ID!) { updateWebhook(id: $id, input: { timeoutMs: 100 }) { userErrors { message } } }`, { id: patient.id });
  await publish(gql, 'policy.test', { n: 3 });
  const t = await waitUntil(async () => {
    const w = await webhookView(gql, patient.id);
    return w.attempts.length === 2 && w.deliveries.some((d) => d.status === 'FAILED') ? w : null;
  }, 'the short timeout to fail the attempt');
  const last = t.attempts[1];
  assert.match(last.error ?? '', /TIMEOUT: No complete response within 100 ms/);
  assert.ok(last.durationMs < 300, `gave up after ${last.durationMs} ms`);
});

test('maxConcurrency: at most that many requests in flight at once, though WEBHOOK_CONCURRENCY is 8', async () => {
  const r = await receiver();
  let inFlight = 0;
  let most = 0;
  r.respond((_req, _i, res) => {
    inFlight++;
    most = Math.max(most, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200).end('ok');
    }, 100);
  });
  // (Its own timeout too: on a busy machine a 100 ms answer can take longer than the global 300 ms.)
  const { id } = await createWebhook(gql, {
    name: 'two at a time',
    targetUrl: r.url,
    events: ['policy.test'],
    maxConcurrency: 2,
    timeoutMs: 5000,
  });
  for (let i = 0; i < 12; i++) await publish(gql, 'policy.test', { i });
  await waitUntil(async () => {
    const w = await webhookView(gql, id);
    return w.deliveries.length === 12 && w.deliveries.every((d) => d.status === 'SUCCEEDED');
  }, 'all 12 deliveries');
  assert.equal(most, 2, `at most ${most} in flight`);
  assert.equal(r.received.length, 12);

  // Back to the global limit: more at once.
  most = 0;
  await gql(`mutation($id: ID!) { updateWebhook(id: $id, input: { maxConcurrency: null }) { userErrors { message } } }`, { id });
  const before = r.received.length;
  await Promise.all(Array.from({ length: 12 }, (_, i) => publish(gql, 'policy.test', { i })));
  await r.waitFor(before + 12);
  assert.ok(most > 2, `${most} in flight`);
});
