// Timeouts: a receiver that never answers fails its attempts with TIMEOUT
// after DELIVERY_TIMEOUT_MS, and cannot starve a healthy webhook: it holds at
// most WEBHOOK_CONCURRENCY of the DELIVERY_CONCURRENCY slots.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from './helpers/app.js';
import { client, type Gql } from './helpers/graphql.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createEventType, createWebhook, publish, webhookView } from './helpers/dispatch.js';
import { waitUntil } from './helpers/wait.js';

const EVENTS = 6;
let app: TestApp;
let gql: Gql;
let slow: Receiver;
let healthy: Receiver;

before(async () => {
  app = await startTestApp({
    ALLOW_PRIVATE_TARGETS: 'true',
    DELIVERY_TIMEOUT_MS: '300',
    DELIVERY_CONCURRENCY: '4',
    WEBHOOK_CONCURRENCY: '2',
  });
  gql = client(app.url, BOOTSTRAP_KEY);
  slow = await startReceiver();
  healthy = await startReceiver();
  // Warm up (lazy module loading, query compilation, first connections), so
  // the 300 ms budget below measures the receivers, not a cold process.
  await createEventType(gql, 'warm.up');
  const w = await createWebhook(gql, { name: 'warm-up', targetUrl: healthy.url, events: ['warm.up'] });
  await publish(gql, 'warm.up', {});
  await waitUntil(async () => (await webhookView(gql, w.id)).deliveries[0]?.status === 'SUCCEEDED', 'the warm-up delivery');
  healthy.received.length = 0;
});
after(async () => {
  await app.stop();
  await slow.close();
  await healthy.close();
});

test('a receiver that never answers times out while a healthy webhook keeps receiving', async () => {
  // The slow receiver reads each request and never answers; it counts how
  // many it is holding open at once.
  let open = 0;
  let maxOpen = 0;
  // The count is taken 20 ms after a request arrives: the sender ends a
  // timed-out request (closing its socket) before it starts the webhook's
  // next one, but this process may see the new request before the old
  // socket's close (two sockets, no order between their events). A request
  // truly sent alongside two others stays open for the whole 300 ms timeout.
  slow.respond((_req, _i, res) => {
    open++;
    setTimeout(() => (maxOpen = Math.max(maxOpen, open)), 20);
    res.on('close', () => open--);
  });
  // Each healthy request notes whether the slow receiver was holding a
  // request at that moment: that is what "meanwhile" means here.
  const healthyWhileSlowHeld: boolean[] = [];
  healthy.respond((_req, _i, res) => {
    healthyWhileSlowHeld.push(open > 0);
    res.writeHead(200).end('ok');
  });

  await createEventType(gql, 'job.done');
  const s = await createWebhook(gql, { name: 'slow', targetUrl: slow.url, events: ['job.done'] });
  const h = await createWebhook(gql, { name: 'healthy', targetUrl: healthy.url, events: ['job.done'] });
  // One event first, so the slow receiver is busy before the rest arrive.
  const events = [await publish(gql, 'job.done', { n: 0 })];
  await waitUntil(() => open > 0, 'the slow receiver to hold a request');
  for (let n = 1; n < EVENTS; n++) events.push(await publish(gql, 'job.done', { n }));
  assert.ok(events.every((e) => e.deliveryCount === 2));

  await healthy.waitFor(EVENTS);
  const hv = await waitUntil(async () => {
    const v = await webhookView(gql, h.id);
    return v.deliveries.length === EVENTS && v.deliveries.every((d) => d.status === 'SUCCEEDED') ? v : null;
  }, 'every healthy delivery to succeed');
  // Every healthy delivery succeeded; a rare retry on a loaded machine is
  // allowed, a delivery stuck behind the slow receiver is not.
  assert.ok(hv.attempts.length >= EVENTS);
  assert.deepEqual(new Set(healthy.received.map((r) => r.headers['webhook-id'])), new Set(events.map((e) => e.eventId)));
  assert.ok(healthyWhileSlowHeld.some(Boolean), 'healthy deliveries arrived while the slow receiver was holding requests');

  // The slow webhook's attempts fail with TIMEOUT; with two retries, every
  // delivery ends FAILED after 3 timed-out attempts.
  const sv = await waitUntil(
    async () => {
      const v = await webhookView(gql, s.id);
      return v.deliveries.length === EVENTS && v.deliveries.every((d) => d.status === 'FAILED') ? v : null;
    },
    'every slow delivery to fail',
    30_000,
  );
  assert.equal(sv.attempts.length, 3 * EVENTS);
  for (const a of sv.attempts) {
    assert.equal(a.status, 'FAILED');
    assert.match(a.error!, /^TIMEOUT/);
    assert.equal(a.responseStatus, null);
  }
  assert.ok(maxOpen <= 2, `the slow webhook held ${maxOpen} requests at once; WEBHOOK_CONCURRENCY is 2`);
  assert.equal(slow.received.length, 3 * EVENTS);
});
